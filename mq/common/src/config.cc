#include "mq/common/config.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "mq/common/utf8.h"

namespace mq {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\f';
}

// java.util.Properties.LineReader.readLine (JDK 17): the next logical line
// with comments, blank lines, continuations and leading blanks dealt with.
class line_reader {
 public:
  explicit line_reader(std::string_view in) : in_(in) {}

  // False at the end of the input.
  bool next(std::string& line) {
    line.clear();
    bool skip_white_space = true;
    bool appended_line_begin = false;
    bool preceding_backslash = false;
    for (;;) {
      if (off_ >= in_.size()) {
        if (line.empty() && !preceding_backslash) return false;
        if (preceding_backslash) line.pop_back();
        return true;
      }
      char c = in_[off_++];
      if (skip_white_space) {
        if (is_blank(c)) continue;
        if (!appended_line_begin && (c == '\r' || c == '\n')) continue;
        skip_white_space = false;
        appended_line_begin = false;
      }
      if (line.empty() && (c == '#' || c == '!')) {  // comment: skip to the end of the line
        while (off_ < in_.size() && in_[off_] != '\r' && in_[off_] != '\n') ++off_;
        skip_white_space = true;
        continue;
      }
      if (c != '\n' && c != '\r') {
        line.push_back(c);
        preceding_backslash = c == '\\' ? !preceding_backslash : false;
        continue;
      }
      // End of a natural line.
      if (line.empty()) {
        skip_white_space = true;
        continue;
      }
      if (off_ >= in_.size()) {
        if (preceding_backslash) line.pop_back();
        return true;
      }
      if (!preceding_backslash) return true;
      line.pop_back();  // the continuation backslash
      skip_white_space = true;
      appended_line_begin = true;
      preceding_backslash = false;
      if (c == '\r' && in_[off_] == '\n') ++off_;
    }
  }

 private:
  std::string_view in_;
  size_t off_ = 0;
};

void put_utf8(std::string& out, uint32_t cp) { append_utf8(out, cp); }

int hex_digit(char h) {
  if (h >= '0' && h <= '9') return h - '0';
  if (h >= 'a' && h <= 'f') return h - 'a' + 10;
  if (h >= 'A' && h <= 'F') return h - 'A' + 10;
  return -1;
}

// Properties.loadConvert, writing \uXXXX as UTF-8.
bool load_convert(std::string_view in, std::string& out) {
  out.clear();
  uint32_t high = 0;  // a pending high surrogate from \uD800-\uDBFF
  auto flush_high = [&] {
    if (high != 0) out.push_back('?');
    high = 0;
  };
  for (size_t i = 0; i < in.size();) {
    char c = in[i++];
    if (c != '\\') {
      flush_high();
      out.push_back(c);
      continue;
    }
    if (i >= in.size()) break;  // cannot happen: the line reader drops a final lone backslash
    c = in[i++];
    if (c != 'u') {
      flush_high();
      out.push_back(c == 't' ? '\t' : c == 'r' ? '\r' : c == 'n' ? '\n' : c == 'f' ? '\f' : c);
      continue;
    }
    if (in.size() - i < 4) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      int d = hex_digit(in[i++]);
      if (d < 0) return false;
      v = v * 16 + static_cast<uint32_t>(d);
    }
    if (v >= 0xDC00 && v <= 0xDFFF && high != 0) {
      put_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00));
      high = 0;
    } else if (v >= 0xD800 && v <= 0xDBFF) {
      flush_high();
      high = v;
    } else if (v >= 0xDC00 && v <= 0xDFFF) {
      flush_high();
      out.push_back('?');
    } else {
      flush_high();
      put_utf8(out, v);
    }
  }
  flush_high();
  return true;
}

std::string_view java_trim(std::string_view v) {
  while (!v.empty() && static_cast<unsigned char>(v.front()) <= ' ') v.remove_prefix(1);
  while (!v.empty() && static_cast<unsigned char>(v.back()) <= ' ') v.remove_suffix(1);
  return v;
}

template <class Int>
result<Int> parse_java_int(const properties_map& m, const std::string& key, Int fallback, const char* what) {
  auto it = m.find(key);
  if (it == m.end()) return fallback;
  std::string_view v = java_trim(it->second);
  std::string_view digits = v;
  bool ok = true;
  if (!digits.empty() && digits.front() == '+') {  // parseInt takes one '+'; from_chars does not
    digits.remove_prefix(1);
    ok = !digits.empty() && digits.front() != '-';
  }
  Int out = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  ok = ok && !digits.empty() && ec == std::errc() && p == digits.data() + digits.size();
  if (!ok) {
    const bool range = ec == std::errc::result_out_of_range;
    return status::error(errc::invalid_argument,
                         key + ": '" + it->second + "' is " + (range ? "out of range for " : "not ") + what);
  }
  return out;
}

}  // namespace

result<properties_map> parse_properties_text(std::string_view text) {
  properties_map out;
  line_reader lr(text);
  std::string line, key, value;
  while (lr.next(line)) {
    // Properties.load0: the key ends at the first unescaped '=', ':' or blank.
    size_t key_len = 0;
    size_t value_start = line.size();
    bool has_sep = false;
    bool preceding_backslash = false;
    for (; key_len < line.size(); ++key_len) {
      char c = line[key_len];
      if ((c == '=' || c == ':') && !preceding_backslash) {
        value_start = key_len + 1;
        has_sep = true;
        break;
      }
      if (is_blank(c) && !preceding_backslash) {
        value_start = key_len + 1;
        break;
      }
      preceding_backslash = c == '\\' ? !preceding_backslash : false;
    }
    for (; value_start < line.size(); ++value_start) {
      char c = line[value_start];
      if (is_blank(c)) continue;
      if (!has_sep && (c == '=' || c == ':')) {
        has_sep = true;
        continue;
      }
      break;
    }
    std::string_view sv(line);
    if (!load_convert(sv.substr(0, key_len), key) || !load_convert(sv.substr(value_start), value)) {
      return status::error(errc::invalid_argument, "malformed \\uxxxx escape in line '" + line + "'");
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
  if (in.bad()) return status::error(errc::io_error, "error reading config file " + path);
  auto r = parse_properties_text(ss.str());
  if (!r) return status::error(r.error().code, path + ": " + r.error().message);
  return r;
}

result<command_line> parse_command_line(const std::vector<std::string>& args) {
  command_line cl;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value_of = [&](std::optional<std::string>& slot) -> status {
      if (i + 1 >= args.size())
        return status::error(errc::invalid_argument, "option " + a + " needs a value");
      slot = args[++i];
      return {};
    };
    if (a == "-c" || a == "--configFile") {
      if (auto s = value_of(cl.config_file); !s.ok()) return s;
    } else if (a == "-n" || a == "--namesrvAddr") {
      if (auto s = value_of(cl.namesrv_addr); !s.ok()) return s;
    } else if (a == "-p" || a == "--printConfigItem") {
      cl.print_config = true;
    } else if (a == "-m" || a == "--printImportantConfig") {
      cl.print_important_config = true;
    } else if (a == "-h" || a == "--help") {
      cl.help = true;
    } else if (a.size() > 2 && a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      const size_t eq = a.find('=');
      std::string key = a.substr(2, eq - 2), value = a.substr(eq + 1);
      if (key.empty()) return status::error(errc::invalid_argument, "empty key in '" + a + "'");
      if (key == "configFile") {
        cl.config_file = value;
      } else if (key == "namesrvAddr") {
        cl.namesrv_addr = value;
      } else {
        cl.overrides[key] = value;
      }
    } else if (!a.empty() && a[0] != '-' && a.find('=') != std::string::npos) {
      const size_t eq = a.find('=');
      if (eq == 0) return status::error(errc::invalid_argument, "empty key in '" + a + "'");
      cl.overrides[a.substr(0, eq)] = a.substr(eq + 1);
    } else {
      return status::error(
          errc::invalid_argument,
          "unknown option '" + a + "' (expected -c <file>, -n <addr>, -p, -m, -h or key=value)");
    }
  }
  return cl;
}

result<command_line> parse_command_line(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_command_line(args);
}

properties_map merge(properties_map base, const command_line& cl) {
  if (cl.namesrv_addr) base["namesrvAddr"] = *cl.namesrv_addr;
  for (const auto& [k, v] : cl.overrides) base[k] = v;
  return base;
}

result<properties_map> effective_config(const command_line& cl, const properties_map& defaults) {
  properties_map m = defaults;
  if (cl.config_file) {
    auto f = load_properties_file(*cl.config_file);
    if (!f) return f.error();
    for (auto& [k, v] : *f) m[k] = v;
  }
  return merge(std::move(m), cl);
}

result<int32_t> get_int(const properties_map& m, const std::string& key, int32_t fallback) {
  return parse_java_int<int32_t>(m, key, fallback, "an integer");
}

result<int64_t> get_int64(const properties_map& m, const std::string& key, int64_t fallback) {
  return parse_java_int<int64_t>(m, key, fallback, "a long integer");
}

bool get_bool(const properties_map& m, const std::string& key, bool fallback) {
  auto it = m.find(key);
  if (it == m.end()) return fallback;
  std::string_view v = java_trim(it->second);
  if (v.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (std::tolower(static_cast<unsigned char>(v[i])) != "true"[i]) return false;
  }
  return true;
}

std::string get_string(const properties_map& m, const std::string& key, const std::string& fallback) {
  auto it = m.find(key);
  return it == m.end() ? fallback : std::string(java_trim(it->second));
}

}  // namespace mq
