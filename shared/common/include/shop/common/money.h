// Money: an exact decimal with two places, held as int64 cents (shop.md:
// "never as a binary float"). Text form "-?digits(.d{1,2})?"; JSON accepts a
// string in that form or a number whose shortest text is in that form.
// Arithmetic is checked: overflow is an error value, never UB.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "mq/common/result.h"

namespace shop {

class money {
 public:
  // |value| ≤ max_units whole units (10^13: well inside int64 cents, and
  // above NUMERIC(12,2)'s 10^10 so the database check decides that limit).
  static constexpr int64_t max_units = 10'000'000'000'000LL;

  constexpr money() = default;
  static constexpr money from_cents(int64_t c) { return money(c); }
  static money zero() { return money(0); }

  // Errors (invalid_argument, with the text in the message): empty, spaces,
  // '+', exponents, more than two decimals, "1.", ".5", "-", out of range.
  static mq::result<money> parse(std::string_view text);
  // A JSON string or number (see above); anything else is invalid_argument.
  static mq::result<money> from_json(const nlohmann::json& j);

  int64_t cents() const { return cents_; }
  // "12.30", "-0.05", "0.00".
  std::string str() const;
  bool negative() const { return cents_ < 0; }

  std::optional<money> add(money o) const;
  std::optional<money> sub(money o) const;
  std::optional<money> mul(int64_t n) const;
  // Whole units, rounded down (for score points).
  int64_t whole_units() const { return cents_ / 100; }

  auto operator<=>(const money&) const = default;

 private:
  constexpr explicit money(int64_t c) : cents_(c) {}
  int64_t cents_ = 0;
};

}  // namespace shop
