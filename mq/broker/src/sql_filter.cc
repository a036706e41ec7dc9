#include "sql_filter.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <variant>
#include <vector>

namespace mq::broker {

namespace {

constexpr size_t max_length = 4096;
constexpr int max_depth = 64;

enum class tok { ident, number, string, lparen, rparen, comma, op, end };

struct token {
  tok kind = tok::end;
  std::string text;  // identifier / op / string contents / number text
  size_t pos = 0;
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

result<std::vector<token>> lex(std::string_view s) {
  std::vector<token> out;
  size_t i = 0;
  auto err = [&](size_t p, const std::string& m) {
    return status::error(errc::invalid_argument, "position " + std::to_string(p) + ": " + m);
  };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$' || s[i] == '.')) ++i;
      out.push_back({tok::ident, std::string(s.substr(start, i - start)), start});
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               ((c == '-' || c == '+') && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
                (out.empty() || out.back().kind == tok::op || out.back().kind == tok::lparen ||
                 out.back().kind == tok::comma ||
                 (out.back().kind == tok::ident &&
                  (upper(out.back().text) == "AND" || upper(out.back().text) == "BETWEEN"))))) {
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      out.push_back({tok::number, std::string(s.substr(start, i - start)), start});
    } else if (c == '\'') {
      std::string text;
      ++i;
      while (true) {
        if (i >= s.size()) return err(start, "unterminated string");
        if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            text += '\'';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        text += s[i++];
      }
      out.push_back({tok::string, std::move(text), start});
    } else if (c == '(') {
      out.push_back({tok::lparen, "(", i++});
    } else if (c == ')') {
      out.push_back({tok::rparen, ")", i++});
    } else if (c == ',') {
      out.push_back({tok::comma, ",", i++});
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      std::string op(1, c);
      ++i;
      if (i < s.size() && (s[i] == '=' || (c == '<' && s[i] == '>'))) op += s[i++];
      if (op == "!") return err(start, "unexpected '!'");
      out.push_back({tok::op, op, start});
    } else {
      return err(start, std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({tok::end, "", s.size()});
  return out;
}

}  // namespace

// ---- the tree ---------------------------------------------------------------------

enum class tri { f, t, unknown };
inline tri tri_not(tri a) { return a == tri::unknown ? tri::unknown : (a == tri::t ? tri::f : tri::t); }

struct sql_value {
  enum class kind { null, number, string, boolean, property } k = kind::null;
  double num = 0;
  std::string text;  // string constant or property name
  bool b = false;
};

struct sql_node {
  enum class kind { logic_and, logic_or, logic_not, cmp, between, in, is_null, boolean_value } k;
  std::vector<std::shared_ptr<const sql_node>> kids;
  std::string op;  // for cmp
  sql_value a, lo, hi;
  std::vector<std::string> set;
  bool negate = false;
};

namespace {

class parser {
 public:
  explicit parser(std::vector<token> t) : t_(std::move(t)) {}

  result<std::shared_ptr<const sql_node>> parse_all() {
    auto e = expr(0);
    if (!e) return e;
    if (peek().kind != tok::end) return err("unexpected '" + peek().text + "'");
    return e;
  }

 private:
  const token& peek() const { return t_[i_]; }
  bool keyword(const char* k) const { return peek().kind == tok::ident && upper(peek().text) == k; }
  status err(const std::string& m) const {
    return status::error(errc::invalid_argument, "position " + std::to_string(peek().pos) + ": " + m);
  }

  result<std::shared_ptr<const sql_node>> expr(int depth) {
    if (depth > max_depth) return err("expression nested too deeply");
    auto left = conj(depth);
    if (!left) return left;
    while (keyword("OR")) {
      ++i_;
      auto right = conj(depth);
      if (!right) return right;
      auto n = std::make_shared<sql_node>(sql_node{sql_node::kind::logic_or, {*left, *right}});
      left = std::shared_ptr<const sql_node>(n);
    }
    return left;
  }
  result<std::shared_ptr<const sql_node>> conj(int depth) {
    auto left = neg(depth);
    if (!left) return left;
    while (keyword("AND")) {
      ++i_;
      auto right = neg(depth);
      if (!right) return right;
      auto n = std::make_shared<sql_node>(sql_node{sql_node::kind::logic_and, {*left, *right}});
      left = std::shared_ptr<const sql_node>(n);
    }
    return left;
  }
  result<std::shared_ptr<const sql_node>> neg(int depth) {
    if (depth > max_depth) return err("expression nested too deeply");
    if (keyword("NOT")) {
      ++i_;
      auto inner = neg(depth + 1);
      if (!inner) return inner;
      return std::shared_ptr<const sql_node>(std::make_shared<sql_node>(sql_node{sql_node::kind::logic_not, {*inner}}));
    }
    return cmp(depth);
  }
  // A value; a parenthesized expression comes back through `sub`.
  result<sql_value> value(int depth, std::shared_ptr<const sql_node>* sub) {
    const token& t = peek();
    sql_value v;
    switch (t.kind) {
      case tok::number: {
        double d = 0;
        auto [p, ec] = std::from_chars(t.text.data() + (t.text[0] == '+' ? 1 : 0), t.text.data() + t.text.size(), d);
        if (ec != std::errc() || p != t.text.data() + t.text.size() || !std::isfinite(d)) return err("bad number " + t.text);
        v.k = sql_value::kind::number;
        v.num = d;
        ++i_;
        return v;
      }
      case tok::string:
        v.k = sql_value::kind::string;
        v.text = t.text;
        ++i_;
        return v;
      case tok::ident: {
        std::string u = upper(t.text);
        if (u == "TRUE" || u == "FALSE") {
          v.k = sql_value::kind::boolean;
          v.b = u == "TRUE";
        } else if (u == "NULL") {
          v.k = sql_value::kind::null;
        } else if (u == "AND" || u == "OR" || u == "NOT" || u == "BETWEEN" || u == "IN" || u == "IS") {
          return err("unexpected keyword " + t.text);
        } else {
          v.k = sql_value::kind::property;
          v.text = t.text;
        }
        ++i_;
        return v;
      }
      case tok::lparen: {
        ++i_;
        auto e = expr(depth + 1);
        if (!e) return e.error();
        if (peek().kind != tok::rparen) return err("missing ')'");
        ++i_;
        *sub = *e;
        return v;
      }
      default:
        return err(t.kind == tok::end ? "unexpected end of expression" : "unexpected '" + t.text + "'");
    }
  }
  result<std::shared_ptr<const sql_node>> cmp(int depth) {
    std::shared_ptr<const sql_node> sub;
    auto a = value(depth, &sub);
    if (!a) return a.error();
    if (sub) return sub;  // (expr)
    auto node = std::make_shared<sql_node>();
    node->a = *a;
    bool negate = false;
    if (keyword("NOT")) {
      ++i_;
      negate = true;
      if (!keyword("BETWEEN") && !keyword("IN")) return err("NOT must be followed by BETWEEN or IN here");
    }
    if (peek().kind == tok::op) {
      node->k = sql_node::kind::cmp;
      node->op = peek().text == "!=" ? "<>" : peek().text;
      ++i_;
      std::shared_ptr<const sql_node> dummy;
      auto b = value(depth, &dummy);
      if (!b) return b.error();
      if (dummy) return err("a comparison takes a value, not an expression");
      node->lo = *b;
    } else if (keyword("BETWEEN")) {
      ++i_;
      node->k = sql_node::kind::between;
      node->negate = negate;
      std::shared_ptr<const sql_node> dummy;
      auto lo = value(depth, &dummy);
      if (!lo || dummy) return lo ? err("BETWEEN takes values") : lo.error();
      if (!keyword("AND")) return err("BETWEEN needs AND");
      ++i_;
      auto hi = value(depth, &dummy);
      if (!hi || dummy) return hi ? err("BETWEEN takes values") : hi.error();
      node->lo = *lo;
      node->hi = *hi;
    } else if (keyword("IN")) {
      ++i_;
      node->k = sql_node::kind::in;
      node->negate = negate;
      if (peek().kind != tok::lparen) return err("IN needs '('");
      ++i_;
      while (true) {
        if (peek().kind != tok::string) return err("IN takes string constants");
        node->set.push_back(peek().text);
        ++i_;
        if (peek().kind == tok::comma) {
          ++i_;
          continue;
        }
        if (peek().kind == tok::rparen) {
          ++i_;
          break;
        }
        return err("expected ',' or ')'");
      }
    } else if (keyword("IS")) {
      ++i_;
      node->k = sql_node::kind::is_null;
      if (keyword("NOT")) {
        ++i_;
        node->negate = true;
      }
      if (!keyword("NULL")) return err("IS must be followed by [NOT] NULL");
      ++i_;
    } else {
      // A bare value: only TRUE / FALSE or a boolean property make sense.
      node->k = sql_node::kind::boolean_value;
    }
    return std::shared_ptr<const sql_node>(node);
  }

  std::vector<token> t_;
  size_t i_ = 0;
};

// The runtime value of an operand.
struct rv {
  bool null = true;
  bool is_text = false;  // text from a property or a string constant
  std::string text;
  bool is_num = false;
  double num = 0;
  bool is_bool = false;
  bool b = false;
};

rv resolve(const sql_value& v, const std::map<std::string, std::string>& props) {
  rv r;
  switch (v.k) {
    case sql_value::kind::null: return r;
    case sql_value::kind::number: r.null = false; r.is_num = true; r.num = v.num; return r;
    case sql_value::kind::string: r.null = false; r.is_text = true; r.text = v.text; return r;
    case sql_value::kind::boolean: r.null = false; r.is_bool = true; r.b = v.b; return r;
    case sql_value::kind::property: {
      auto it = props.find(v.text);
      if (it == props.end()) return r;
      r.null = false;
      r.is_text = true;
      r.text = it->second;
      return r;
    }
  }
  return r;
}

std::optional<double> as_number(const rv& v) {
  if (v.is_num) return v.num;
  if (!v.is_text || v.text.empty()) return std::nullopt;
  double d = 0;
  const char* b = v.text.data();
  const char* e = b + v.text.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, d);
  if (ec != std::errc() || p != e || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<std::string> as_text(const rv& v) {
  if (v.is_text) return v.text;
  if (v.is_bool) return v.b ? std::string("true") : std::string("false");
  return std::nullopt;
}

tri compare(const rv& a, const std::string& op, const rv& b) {
  if (a.null || b.null) return tri::unknown;
  int c = 0;
  if (a.is_num || b.is_num) {
    auto x = as_number(a), y = as_number(b);
    if (!x || !y) return tri::f;
    c = *x < *y ? -1 : (*x > *y ? 1 : 0);
  } else {
    auto x = as_text(a), y = as_text(b);
    if (!x || !y) return tri::f;
    if (b.is_bool || a.is_bool) {
      // booleans compare case-insensitively with their text
      c = upper(*x) == upper(*y) ? 0 : 1;
      if (op != "=" && op != "<>") return tri::f;
    } else {
      if (op != "=" && op != "<>") return tri::f;  // no ordering on strings
      c = *x == *y ? 0 : 1;
    }
  }
  bool r = op == "=" ? c == 0 : op == "<>" ? c != 0 : op == ">" ? c > 0 : op == ">=" ? c >= 0 : op == "<" ? c < 0 : c <= 0;
  return r ? tri::t : tri::f;
}

tri eval(const sql_node& n, const std::map<std::string, std::string>& props) {
  switch (n.k) {
    case sql_node::kind::logic_and: {
      tri a = eval(*n.kids[0], props);
      if (a == tri::f) return tri::f;
      tri b = eval(*n.kids[1], props);
      if (b == tri::f) return tri::f;
      return a == tri::t && b == tri::t ? tri::t : tri::unknown;
    }
    case sql_node::kind::logic_or: {
      tri a = eval(*n.kids[0], props);
      if (a == tri::t) return tri::t;
      tri b = eval(*n.kids[1], props);
      if (b == tri::t) return tri::t;
      return a == tri::f && b == tri::f ? tri::f : tri::unknown;
    }
    case sql_node::kind::logic_not: return tri_not(eval(*n.kids[0], props));
    case sql_node::kind::cmp: return compare(resolve(n.a, props), n.op, resolve(n.lo, props));
    case sql_node::kind::between: {
      rv a = resolve(n.a, props);
      tri lo = compare(a, ">=", resolve(n.lo, props));
      tri hi = compare(a, "<=", resolve(n.hi, props));
      tri r = lo == tri::f || hi == tri::f ? tri::f : (lo == tri::t && hi == tri::t ? tri::t : tri::unknown);
      return n.negate ? tri_not(r) : r;
    }
    case sql_node::kind::in: {
      rv a = resolve(n.a, props);
      if (a.null) return tri::unknown;
      auto t = as_text(a);
      bool found = false;
      if (t)
        for (auto& s : n.set) found = found || s == *t;
      return (found != n.negate) ? tri::t : tri::f;
    }
    case sql_node::kind::is_null: {
      bool null = resolve(n.a, props).null;
      return (null != n.negate) ? tri::t : tri::f;
    }
    case sql_node::kind::boolean_value: {
      rv a = resolve(n.a, props);
      if (a.null) return tri::unknown;
      if (a.is_bool) return a.b ? tri::t : tri::f;
      if (a.is_text) return upper(a.text) == "TRUE" ? tri::t : tri::f;
      return tri::f;
    }
  }
  return tri::unknown;
}

}  // namespace

result<sql_filter> sql_filter::compile(std::string_view text) {
  if (text.size() > max_length)
    return status::error(errc::invalid_argument, "expression longer than " + std::to_string(max_length) + " characters");
  auto toks = lex(text);
  if (!toks) return toks.error();
  if (toks->size() == 1) return status::error(errc::invalid_argument, "empty expression");
  parser p(std::move(*toks));
  auto root = p.parse_all();
  if (!root) return root.error();
  sql_filter f;
  f.root_ = *root;
  f.text_ = std::string(text);
  return f;
}

bool sql_filter::matches(const std::map<std::string, std::string>& props) const {
  return root_ && eval(*root_, props) == tri::t;
}

}  // namespace mq::broker
