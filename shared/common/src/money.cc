#include "shop/common/money.h"

#include <nlohmann/json.hpp>

namespace shop {

mq::result<money> money::parse(std::string_view t) {
  auto bad = [&](const char* why) {
    return mq::status::error(mq::errc::invalid_argument, "'" + std::string(t.substr(0, 40)) + "' is not an amount: " + why);
  };
  if (t.empty()) return bad("empty");
  bool neg = false;
  size_t i = 0;
  if (t[0] == '-') {
    neg = true;
    i = 1;
  }
  size_t int_start = i;
  int64_t units = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
    units = units * 10 + (t[i] - '0');
    if (units > max_units) return bad("too large");
    ++i;
  }
  if (i == int_start) return bad("no digits before the point");
  int64_t frac = 0;
  if (i < t.size()) {
    if (t[i] != '.') return bad("unexpected character");
    ++i;
    size_t frac_start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (i - frac_start >= 2) return bad("more than two decimals");
      frac = frac * 10 + (t[i] - '0');
      ++i;
    }
    if (i == frac_start) return bad("no digits after the point");
    if (i - frac_start == 1) frac *= 10;
    if (i != t.size()) return bad("unexpected character");
  }
  int64_t c = units * 100 + frac;
  return money(neg ? -c : c);
}

mq::result<money> money::from_json(const nlohmann::json& j) {
  if (j.is_string()) return parse(j.get<std::string>());
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(max_units))
      return mq::status::error(mq::errc::invalid_argument, "amount too large");
    int64_t v = j.get<int64_t>();
    if (v > max_units || v < -max_units) return mq::status::error(mq::errc::invalid_argument, "amount too large");
    return money(v * 100);
  }
  if (j.is_number_float()) {
    // The shortest text that round-trips (what the client most likely wrote).
    std::string text = j.dump();
    if (text.find_first_of("eE") != std::string::npos)
      return mq::status::error(mq::errc::invalid_argument, "amount " + text + " uses an exponent");
    return parse(text);
  }
  return mq::status::error(mq::errc::invalid_argument, "an amount must be a decimal string or number");
}

std::string money::str() const {
  int64_t c = cents_ < 0 ? -cents_ : cents_;
  std::string frac = std::to_string(c % 100);
  if (frac.size() == 1) frac = "0" + frac;
  return (cents_ < 0 ? "-" : "") + std::to_string(c / 100) + "." + frac;
}

std::optional<money> money::add(money o) const {
  int64_t r;
  if (__builtin_add_overflow(cents_, o.cents_, &r) || r > max_units * 100 || r < -max_units * 100) return std::nullopt;
  return money(r);
}

std::optional<money> money::sub(money o) const {
  int64_t r;
  if (__builtin_sub_overflow(cents_, o.cents_, &r) || r > max_units * 100 || r < -max_units * 100) return std::nullopt;
  return money(r);
}

std::optional<money> money::mul(int64_t n) const {
  int64_t r;
  if (__builtin_mul_overflow(cents_, n, &r) || r > max_units * 100 || r < -max_units * 100) return std::nullopt;
  return money(r);
}

}  // namespace shop
