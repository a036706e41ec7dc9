#include "mq/remoting/remoting_command.h"

#include <array>
#include <charconv>
#include <limits>

#include <nlohmann/json.hpp>

#include "mq/common/utf8.h"

namespace mq::remoting {
namespace {

constexpr std::array<std::string_view, 13> kLanguageNames = {
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST"};

// JSON string escaping as fastjson writes it: quote, backslash and control
// characters < 0x20 escaped; everything else (UTF-8) written as is.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void put_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}
void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

// Bounds-checked big-endian reader for the binary header.
struct reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;
  bool have(size_t n) {
    if (!ok || in.size() - pos < n) ok = false;
    return ok;
  }
  uint32_t u(size_t n) {
    if (!have(n)) return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(in[pos + i]);
    pos += n;
    return v;
  }
  std::string_view bytes(size_t n) {
    if (!have(n)) return {};
    auto s = in.substr(pos, n);
    pos += n;
    return s;
  }
};

bool json_to_int32(const nlohmann::json& v, int32_t& out) {
  if (v.is_number_integer()) {
    auto x = v.get<int64_t>();
    if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
      return false;
    }
    out = static_cast<int32_t>(x);
    return true;
  }
  if (v.is_number_unsigned()) {
    auto x = v.get<uint64_t>();
    if (x > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) return false;
    out = static_cast<int32_t>(x);
    return true;
  }
  return false;
}

// Turn an extFields JSON scalar into the text fastjson would coerce it to.
bool scalar_text(const nlohmann::json& v, std::string& out) {
  switch (v.type()) {
    case nlohmann::json::value_t::string: out = v.get<std::string>(); return true;
    case nlohmann::json::value_t::boolean: out = v.get<bool>() ? "true" : "false"; return true;
    case nlohmann::json::value_t::number_integer: out = std::to_string(v.get<int64_t>()); return true;
    case nlohmann::json::value_t::number_unsigned: out = std::to_string(v.get<uint64_t>()); return true;
    case nlohmann::json::value_t::number_float: {
      double d = v.get<double>();
      // Integral doubles (e.g. 1e3 or 1700000000000.0) print as integers.
      if (d == static_cast<double>(static_cast<int64_t>(d))) {
        out = std::to_string(static_cast<int64_t>(d));
      } else {
        out = v.dump();
      }
      return true;
    }
    default: return false;  // null, arrays, objects: treated as absent
  }
}


// ---- fast path for the JSON header ----------------------------------------
// Every client writes a flat object of scalars plus one flat `extFields`
// object. This hand-written parser handles exactly that shape in one pass;
// anything else (floats, arrays, nesting elsewhere, odd whitespace is fine)
// makes it give up and the nlohmann-based path decides.
class fast_header_parser {
 public:
  explicit fast_header_parser(std::string_view in) : in_(in) {}

  // true = parsed (out filled, or *rejected set with a reason);
  // false = shape not handled, use the general path.
  bool parse(remoting_command& out, bool& have_code, std::string& reject) {
    ws();
    if (!eat('{')) return false;
    ws();
    if (peek() == '}') return false;  // no code: let the general path explain
    for (;;) {
      std::string key;
      ws();
      if (!str(key)) return false;
      ws();
      if (!eat(':')) return false;
      ws();
      if (key == "extFields") {
        if (peek() == 'n') {
          if (!lit("null")) return false;
        } else if (!ext(out)) {
          return false;
        }
      } else if (key == "code" || key == "flag" || key == "opaque" || key == "version") {
        int64_t v = 0;
        if (peek() == 'n') {
          if (!lit("null")) return false;
          if (key == "code") {
            reject = "header has no integer code";
            return true;
          }
        } else {
          if (!integer(v)) return false;
          if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
            reject = "header " + key + " is not an int32";
            return true;
          }
          int32_t x = static_cast<int32_t>(v);
          if (key == "code") {
            out.code = x;
            have_code = true;
          } else if (key == "flag") {
            out.flag = x;
          } else if (key == "opaque") {
            out.opaque = x;
          } else {
            out.version = x;
          }
        }
      } else if (key == "language" || key == "remark") {
        if (peek() == '"') {
          std::string v;
          if (!str(v)) return false;
          if (key == "language") {
            out.language = language_from_name(v);
          } else {
            out.remark = std::move(v);
          }
        } else if (!skip_scalar()) {
          return false;
        }
      } else if (!skip_scalar()) {
        return false;
      }
      ws();
      if (eat(',')) continue;
      if (eat('}')) break;
      return false;
    }
    ws();
    return pos_ == in_.size();
  }

 private:
  char peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void ws() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\n' || in_[pos_] == '\r' || in_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool lit(std::string_view w) {
    if (in_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool hex4(uint32_t& cp) {
    if (in_.size() - pos_ < 4) return false;
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hex(in_[pos_ + i]);
      if (h < 0) return false;
      cp = (cp << 4) | static_cast<uint32_t>(h);
    }
    pos_ += 4;
    return true;
  }
  static void utf8(std::string& out, uint32_t cp) { mq::append_utf8(out, cp); }

  // A JSON string; raw control characters and lone surrogates -> general path.
  bool str(std::string& out) {
    if (!eat('"')) return false;
    for (;;) {
      size_t start = pos_;
      while (pos_ < in_.size() && in_[pos_] != '"' && in_[pos_] != '\\' &&
             static_cast<unsigned char>(in_[pos_]) >= 0x20 && static_cast<unsigned char>(in_[pos_]) < 0x80) {
        ++pos_;
      }
      out.append(in_.data() + start, pos_ - start);
      if (pos_ >= in_.size()) return false;
      char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80) {
        return false;  // control char or non-ASCII: let nlohmann validate
      }
      ++pos_;  // backslash
      if (pos_ >= in_.size()) return false;
      char e = in_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // surrogates: general path
          utf8(out, cp);
          break;
        }
        default: return false;
      }
    }
  }
  bool integer(int64_t& v) {
    size_t start = pos_;
    if (peek() == '-') ++pos_;
    size_t digits = pos_;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    if (pos_ == digits || pos_ - digits > 18) return false;
    if (pos_ - digits > 1 && in_[digits] == '0') return false;  // leading zero: not JSON
    char next = peek();
    if (next == '.' || next == 'e' || next == 'E') return false;
    auto [p, ec] = std::from_chars(in_.data() + start, in_.data() + pos_, v);
    return ec == std::errc() && p == in_.data() + pos_;
  }
  bool skip_scalar() {
    char c = peek();
    if (c == '"') {
      std::string sink;
      return str(sink);
    }
    if (c == 't') return lit("true");
    if (c == 'f') return lit("false");
    if (c == 'n') return lit("null");
    int64_t v;
    return integer(v);
  }
  bool ext(remoting_command& out) {
    if (!eat('{')) return false;
    ws();
    if (eat('}')) return true;
    for (;;) {
      std::string key;
      ws();
      if (!str(key)) return false;
      ws();
      if (!eat(':')) return false;
      ws();
      char c = peek();
      if (c == '"') {
        std::string v;
        if (!str(v)) return false;
        out.ext_fields.insert_or_assign(std::move(key), std::move(v));
      } else if (c == 't') {
        if (!lit("true")) return false;
        out.ext_fields.insert_or_assign(std::move(key), "true");
      } else if (c == 'f') {
        if (!lit("false")) return false;
        out.ext_fields.insert_or_assign(std::move(key), "false");
      } else if (c == 'n') {
        if (!lit("null")) return false;
      } else {
        int64_t v = 0;
        if (!integer(v)) return false;
        out.ext_fields.insert_or_assign(std::move(key), std::to_string(v));
      }
      ws();
      if (eat(',')) continue;
      return eat('}');
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::string_view language_name(language_code l) {
  auto i = static_cast<size_t>(l);
  return i < kLanguageNames.size() ? kLanguageNames[i] : std::string_view("OTHER");
}

language_code language_from_name(std::string_view name) {
  for (size_t i = 0; i < kLanguageNames.size(); ++i) {
    if (kLanguageNames[i] == name) return static_cast<language_code>(i);
  }
  return language_code::OTHER;
}

const std::string* remoting_command::field(const std::string& key) const {
  auto it = ext_fields.find(key);
  return it == ext_fields.end() ? nullptr : &it->second;
}

std::optional<int64_t> remoting_command::field_int(const std::string& key) const {
  const std::string* v = field(key);
  if (v == nullptr || v->empty()) return std::nullopt;
  int64_t out = 0;
  const char* b = v->data();
  const char* e = v->data() + v->size();
  if (*b == '+') ++b;  // Java's Long.parseLong accepts a leading '+'
  auto [p, ec] = std::from_chars(b, e, out);
  if (ec != std::errc() || p != e) return std::nullopt;
  return out;
}

remoting_command remoting_command::request(int32_t code) {
  remoting_command c;
  c.code = code;
  return c;
}

remoting_command remoting_command::response_to(const remoting_command& req, int32_t code,
                                               std::optional<std::string> remark) {
  remoting_command c;
  c.code = code;
  c.opaque = req.opaque;
  c.flag = flag_response;
  c.type = req.type;
  c.remark = std::move(remark);
  return c;
}

std::string encode_json_header(const remoting_command& cmd) {
  // Field order is alphabetical, as fastjson writes it.
  std::string out;
  out.reserve(128 + cmd.ext_fields.size() * 32);
  out += "{\"code\":";
  out += std::to_string(cmd.code);
  if (!cmd.ext_fields.empty()) {
    out += ",\"extFields\":{";
    bool first = true;
    for (const auto& [k, v] : cmd.ext_fields) {  // std::map: sorted keys
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, k);
      out.push_back(':');
      append_json_string(out, v);
    }
    out.push_back('}');
  }
  out += ",\"flag\":";
  out += std::to_string(cmd.flag);
  out += ",\"language\":";
  append_json_string(out, language_name(cmd.language));
  out += ",\"opaque\":";
  out += std::to_string(cmd.opaque);
  if (cmd.remark) {
    out += ",\"remark\":";
    append_json_string(out, *cmd.remark);
  }
  out += ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":";
  out += std::to_string(cmd.version);
  out.push_back('}');
  return out;
}

bool decode_json_header(std::string_view header, remoting_command& out, std::string* err) {
  auto fail = [&](const char* why) {
    if (err) *err = why;
    return false;
  };
  {
    remoting_command fast;
    bool have_code = false;
    std::string reject;
    if (fast_header_parser(header).parse(fast, have_code, reject)) {
      if (!reject.empty()) return fail(reject.c_str());
      if (have_code) {
        fast.type = serialize_type::json;
        fast.body = std::move(out.body);
        out = std::move(fast);
        return true;
      }
    }
  }
  nlohmann::json j = nlohmann::json::parse(header.begin(), header.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail("header is not a JSON object");
  auto it = j.find("code");
  if (it == j.end() || !json_to_int32(*it, out.code)) return fail("header has no integer code");
  if (auto f = j.find("flag"); f != j.end() && !f->is_null()) {
    if (!json_to_int32(*f, out.flag)) return fail("header flag is not an int32");
  }
  if (auto f = j.find("opaque"); f != j.end() && !f->is_null()) {
    if (!json_to_int32(*f, out.opaque)) return fail("header opaque is not an int32");
  }
  if (auto f = j.find("version"); f != j.end() && !f->is_null()) {
    if (!json_to_int32(*f, out.version)) return fail("header version is not an int32");
  }
  if (auto f = j.find("language"); f != j.end() && f->is_string()) {
    out.language = language_from_name(f->get_ref<const std::string&>());
  }
  if (auto f = j.find("remark"); f != j.end() && f->is_string()) {
    out.remark = f->get<std::string>();
  }
  if (auto f = j.find("extFields"); f != j.end() && !f->is_null()) {
    if (!f->is_object()) return fail("header extFields is not an object");
    for (auto& [k, v] : f->items()) {
      std::string text;
      if (scalar_text(v, text)) out.ext_fields.emplace(k, std::move(text));
    }
  }
  out.type = serialize_type::json;
  return true;
}

std::string encode_rocketmq_header(const remoting_command& cmd) {
  std::string out;
  out.reserve(64 + cmd.ext_fields.size() * 32);
  put_u16(out, static_cast<uint16_t>(cmd.code));
  out.push_back(static_cast<char>(cmd.language));
  put_u16(out, static_cast<uint16_t>(cmd.version));
  put_u32(out, static_cast<uint32_t>(cmd.opaque));
  put_u32(out, static_cast<uint32_t>(cmd.flag));
  if (cmd.remark && !cmd.remark->empty()) {
    put_u32(out, static_cast<uint32_t>(cmd.remark->size()));
    out += *cmd.remark;
  } else {
    put_u32(out, 0);
  }
  size_t ext_len_pos = out.size();
  put_u32(out, 0);
  size_t ext_start = out.size();
  for (const auto& [k, v] : cmd.ext_fields) {
    if (k.empty() || v.empty()) continue;  // Java skips nulls; empty decodes as null anyway
    put_u16(out, static_cast<uint16_t>(k.size()));
    out += k;
    put_u32(out, static_cast<uint32_t>(v.size()));
    out += v;
  }
  uint32_t ext_len = static_cast<uint32_t>(out.size() - ext_start);
  for (int i = 0; i < 4; ++i) {
    out[ext_len_pos + i] = static_cast<char>((ext_len >> (24 - 8 * i)) & 0xFF);
  }
  return out;
}

bool decode_rocketmq_header(std::string_view header, remoting_command& out, std::string* err) {
  auto fail = [&](const char* why) {
    if (err) *err = why;
    return false;
  };
  reader r{header};
  out.code = static_cast<int16_t>(r.u(2));
  uint32_t lang = r.u(1);
  out.language = lang <= static_cast<uint32_t>(language_code::RUST) ? static_cast<language_code>(lang)
                                                                     : language_code::OTHER;
  out.version = static_cast<int16_t>(r.u(2));
  out.opaque = static_cast<int32_t>(r.u(4));
  out.flag = static_cast<int32_t>(r.u(4));
  uint32_t remark_len = r.u(4);
  if (!r.ok) return fail("binary header truncated");
  if (remark_len > 0) {
    auto remark = r.bytes(remark_len);
    if (!r.ok) return fail("binary header remark length out of bounds");
    out.remark = std::string(remark);
  }
  uint32_t ext_len = r.u(4);
  if (!r.ok) return fail("binary header truncated");
  if (ext_len > header.size() - r.pos) return fail("binary header extFields length out of bounds");
  size_t end = r.pos + ext_len;
  while (r.pos < end) {
    uint32_t klen = r.u(2);
    auto key = r.bytes(klen);
    uint32_t vlen = r.u(4);
    if (!r.ok || vlen > end - r.pos) return fail("binary header extFields entry out of bounds");
    auto value = r.bytes(vlen);
    if (!r.ok || r.pos > end) return fail("binary header extFields entry out of bounds");
    // A zero-length string decodes as null in Java: skip it.
    if (!key.empty() && !value.empty()) out.ext_fields.emplace(std::string(key), std::string(value));
  }
  out.type = serialize_type::rocketmq;
  return true;
}

}  // namespace mq::remoting
