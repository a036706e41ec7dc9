#include "mq/common/config.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace mq {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Append the UTF-8 form of a code point.
void utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Split into "natural lines": handles \r\n, \r, \n and backslash continuation.
std::vector<std::string> logical_lines(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool continuing = false;
  size_t i = 0;
  while (i <= text.size()) {
    size_t end = text.find_first_of("\r\n", i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(i, end - i);
    size_t next = end;
    if (next < text.size() && text[next] == '\r' && next + 1 < text.size() && text[next + 1] == '\n') ++next;
    i = next + 1;
    if (continuing) {
      size_t k = 0;
      while (k < line.size() && is_ws(line[k])) ++k;
      line.remove_prefix(k);
    } else {
      size_t k = 0;
      while (k < line.size() && is_ws(line[k])) ++k;
      if (k == line.size()) {
        if (end >= text.size()) break;
        continue;  // blank line
      }
      if (line[k] == '#' || line[k] == '!') {
        if (end >= text.size()) break;
        continue;  // comment
      }
      line.remove_prefix(k);
    }
    // Odd number of trailing backslashes = continuation.
    size_t bs = 0;
    while (bs < line.size() && line[line.size() - 1 - bs] == '\\') ++bs;
    if (bs % 2 == 1) {
      cur.append(line.substr(0, line.size() - 1));
      continuing = true;
    } else {
      cur.append(line);
      out.push_back(std::move(cur));
      cur.clear();
      continuing = false;
    }
    if (end >= text.size()) break;
  }
  if (continuing) out.push_back(std::move(cur));
  return out;
}

bool unescape(std::string_view in, std::string& out, std::string& err) {
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= in.size()) break;
    char e = in[i];
    switch (e) {
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        if (in.size() - i - 1 < 4) {
          err = "malformed \\uxxxx escape";
          return false;
        }
        uint32_t cp = 0;
        for (int k = 1; k <= 4; ++k) {
          char h = in[i + static_cast<size_t>(k)];
          int v = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                                                   : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
          if (v < 0) {
            err = "malformed \\uxxxx escape";
            return false;
          }
          cp = cp * 16 + static_cast<uint32_t>(v);
        }
        i += 4;
        utf8(out, cp);
        break;
      }
      default: out.push_back(e); break;
    }
  }
  return true;
}

}  // namespace

result<properties_map> parse_properties_text(std::string_view text) {
  properties_map out;
  for (const std::string& line : logical_lines(text)) {
    // Key ends at the first unescaped '=', ':' or whitespace.
    size_t i = 0;
    bool escaped = false;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (escaped) {
        escaped = false;
        continue;
      }
      if (c == '\\') {
        escaped = true;
        continue;
      }
      if (c == '=' || c == ':' || is_ws(c)) break;
    }
    std::string_view key_raw = std::string_view(line).substr(0, i);
    // Skip whitespace, then at most one '=' or ':', then whitespace.
    while (i < line.size() && is_ws(line[i])) ++i;
    if (i < line.size() && (line[i] == '=' || line[i] == ':')) ++i;
    while (i < line.size() && is_ws(line[i])) ++i;
    std::string key, value, err;
    if (!unescape(key_raw, key, err) || !unescape(std::string_view(line).substr(i), value, err)) {
      return status::error(errc::invalid_argument, err + " in line '" + line + "'");
    }
    out[key] = value;
  }
  return out;
}

result<properties_map> load_properties_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return status::error(errc::not_found, "cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = parse_properties_text(ss.str());
  if (!r) return status::error(errc::invalid_argument, path + ": " + r.error().message);
  return r;
}

result<command_line> parse_command_line(const std::vector<std::string>& args) {
  command_line cl;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto need_value = [&](const char* opt) -> result<std::string> {
      if (i + 1 >= args.size()) return status::error(errc::invalid_argument, std::string("option ") + opt + " needs a value");
      return args[++i];
    };
    if (a == "-c" || a == "--configFile") {
      auto v = need_value("-c");
      if (!v) return v.error();
      cl.config_file = *v;
    } else if (a == "-n" || a == "--namesrvAddr") {
      auto v = need_value("-n");
      if (!v) return v.error();
      cl.namesrv_addr = *v;
    } else if (a == "-p" || a == "--printConfigItem") {
      cl.print_config = true;
    } else if (a == "-h" || a == "--help") {
      cl.help = true;
    } else if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      auto eq = a.find('=');
      cl.overrides[a.substr(2, eq - 2)] = a.substr(eq + 1);
    } else if (!a.empty() && a[0] != '-' && a.find('=') != std::string::npos && a.find('=') > 0) {
      auto eq = a.find('=');
      cl.overrides[a.substr(0, eq)] = a.substr(eq + 1);
    } else {
      return status::error(errc::invalid_argument, "unknown option '" + a + "'");
    }
  }
  return cl;
}

result<properties_map> effective_config(const command_line& cl, const properties_map& defaults) {
  properties_map m = defaults;
  if (cl.config_file) {
    auto f = load_properties_file(*cl.config_file);
    if (!f) return f.error();
    for (auto& [k, v] : *f) m[k] = v;
  }
  if (cl.namesrv_addr) m["namesrvAddr"] = *cl.namesrv_addr;
  for (auto& [k, v] : cl.overrides) m[k] = v;
  return m;
}

result<int64_t> get_int(const properties_map& m, const std::string& key, int64_t fallback) {
  auto it = m.find(key);
  if (it == m.end()) return fallback;
  std::string_view v = it->second;
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
    return status::error(errc::invalid_argument, key + ": '" + it->second + "' is not an integer");
  }
  return out;
}

bool get_bool(const properties_map& m, const std::string& key, bool fallback) {
  auto it = m.find(key);
  if (it == m.end()) return fallback;
  std::string v = it->second;
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
  if (v.size() != 4) return false;
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "true";
}

std::string get_string(const properties_map& m, const std::string& key, const std::string& fallback) {
  auto it = m.find(key);
  return it == m.end() ? fallback : it->second;
}

}  // namespace mq
