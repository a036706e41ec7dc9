#include "mq/http/router.h"

#include <algorithm>
#include <stdexcept>

namespace mq::http {

bool ci_less::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

const std::string* request::header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

const std::string* request::param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? nullptr : &it->second;
}

namespace {
int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_component(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string k = decode_component(item.substr(0, eq), true);
    std::string v = eq == std::string_view::npos ? std::string() : decode_component(item.substr(eq + 1), true);
    out.emplace(std::move(k), std::move(v));
  }
  return out;
}

std::optional<std::string> decode_path(std::string_view p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '%') {
      out += p[i];
      continue;
    }
    if (i + 2 >= p.size() || hex(p[i + 1]) < 0 || hex(p[i + 2]) < 0) return std::nullopt;
    char c = static_cast<char>(hex(p[i + 1]) * 16 + hex(p[i + 2]));
    if (c == '\0' || c == '/') return std::nullopt;
    out += c;
    i += 2;
  }
  return out;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

namespace {
bool is_param(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }
}  // namespace

void router::add(std::string method, std::string pattern, handler h) {
  if (pattern.empty() || pattern[0] != '/') throw std::invalid_argument("route pattern must start with '/': " + pattern);
  auto segs = split_path(pattern);
  for (auto& s : segs)
    if ((s.find('{') != std::string::npos || s.find('}') != std::string::npos) && !is_param(s))
      throw std::invalid_argument("bad route segment '" + s + "' in " + pattern);
  for (auto& e : entries_)
    if (e.method == method && e.pattern == pattern) throw std::invalid_argument("duplicate route " + method + " " + pattern);
  entries_.push_back({std::move(method), std::move(pattern), std::move(segs), std::move(h)});
}

router::match_result router::match(const std::string& method, const std::string& path) const {
  auto segs = split_path(path);
  match_result best;
  const entry* chosen = nullptr;
  // Specificity: compare literal-vs-param per segment; literal wins at the first difference.
  auto more_specific = [](const entry& a, const entry& b) {
    for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
      bool pa = is_param(a.segments[i]), pb = is_param(b.segments[i]);
      if (pa != pb) return !pa;
    }
    return false;
  };
  std::vector<std::string> allowed;
  for (auto& e : entries_) {
    if (e.segments.size() != segs.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i)
      ok = is_param(e.segments[i]) ? !segs[i].empty() : e.segments[i] == segs[i];
    if (!ok) continue;
    if (e.method != method) {
      allowed.push_back(e.method);
      continue;
    }
    if (!chosen || more_specific(e, *chosen)) chosen = &e;
  }
  if (!chosen) {
    best.result = allowed.empty() ? outcome::not_found : outcome::method_not_allowed;
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    best.allowed = std::move(allowed);
    return best;
  }
  best.result = outcome::found;
  best.h = &chosen->h;
  best.pattern = chosen->pattern;
  for (size_t i = 0; i < segs.size(); ++i)
    if (is_param(chosen->segments[i]))
      best.params[chosen->segments[i].substr(1, chosen->segments[i].size() - 2)] = segs[i];
  return best;
}

std::vector<route_info> router::routes() const {
  std::vector<route_info> out;
  for (auto& e : entries_) out.push_back({e.method, e.pattern});
  return out;
}

}  // namespace mq::http
