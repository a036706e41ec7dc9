#include "mq/remoting/json.h"

#include <cctype>
#include <vector>

namespace mq::remoting {
namespace {

// Copy a JSON string literal starting at text[i] == '"'; returns the index
// after the closing quote, or npos when unterminated.
size_t copy_string(std::string_view text, size_t i, std::string& out) {
  out.push_back('"');
  ++i;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size()) return std::string_view::npos;
      out.push_back(c);
      out.push_back(text[i + 1]);
      i += 2;
      continue;
    }
    out.push_back(c);
    ++i;
    if (c == '"') return i;
  }
  return std::string_view::npos;
}

void append_escaped(std::string& out, std::string_view raw) {
  out.push_back('"');
  for (char c : raw) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// Scan a balanced {...} value starting at text[i] == '{', honouring strings.
size_t skip_object(std::string_view text, size_t i, size_t max_depth) {
  size_t depth = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      std::string sink;
      i = copy_string(text, i, sink);
      if (i == std::string_view::npos) return i;
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > max_depth) return std::string_view::npos;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return std::string_view::npos;
      if (--depth == 0) return i + 1;
    }
    ++i;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::string> normalize_fastjson(std::string_view text, size_t max_depth) {
  std::string out;
  out.reserve(text.size() + 16);
  // Stack of containers: true = object, false = array.
  std::vector<bool> stack;
  bool expect_key = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (expect_key) {
      expect_key = false;
      if (c == '"') {
        i = copy_string(text, i, out);
        if (i == std::string_view::npos) return std::nullopt;
        continue;
      }
      if (c == '}') {  // empty object
        continue;      // handled below as a normal char
      }
      if (c == '{') {  // object used as a key (Map<MessageQueue,X>)
        size_t end = skip_object(text, i, max_depth);
        if (end == std::string_view::npos) return std::nullopt;
        // Normalize the key object itself so equal keys compare equal.
        auto inner = parse_lenient(text.substr(i, end - i));
        if (!inner) return std::nullopt;
        append_escaped(out, inner->dump());
        i = end;
        continue;
      }
      // Bare token up to ':' (numbers such as 0 or -1, or identifiers).
      size_t start = i;
      while (i < text.size() && text[i] != ':' && !std::isspace(static_cast<unsigned char>(text[i])) &&
             text[i] != ',' && text[i] != '}') {
        ++i;
      }
      if (i == start) return std::nullopt;
      append_escaped(out, text.substr(start, i - start));
      continue;
    }
    switch (c) {
      case '"':
        i = copy_string(text, i, out);
        if (i == std::string_view::npos) return std::nullopt;
        continue;
      case '{':
        if (stack.size() >= max_depth) return std::nullopt;
        stack.push_back(true);
        expect_key = true;
        break;
      case '[':
        if (stack.size() >= max_depth) return std::nullopt;
        stack.push_back(false);
        break;
      case '}':
      case ']':
        if (stack.empty() || stack.back() != (c == '}')) return std::nullopt;
        stack.pop_back();
        break;
      case ',':
        if (!stack.empty() && stack.back()) expect_key = true;
        break;
      default:
        break;
    }
    out.push_back(c);
    ++i;
  }
  if (!stack.empty()) return std::nullopt;
  return out;
}

std::optional<nlohmann::json> parse_lenient(std::string_view text) {
  auto norm = normalize_fastjson(text);
  if (!norm) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*norm, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string to_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mq::remoting
