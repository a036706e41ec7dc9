// Expected failures as values (style.md "Errors"): status and result<T>.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mq {

enum class errc {
  ok = 0,
  invalid_argument,
  corrupt,
  too_large,
  not_found,
  io_error,
  timeout,
  busy,
  closed,
  unsupported,
};

struct status {
  errc code = errc::ok;
  std::string message;
  bool ok() const { return code == errc::ok; }
  static status success() { return {}; }
  static status error(errc c, std::string m) { return {c, std::move(m)}; }
};

template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(status s) : v_(std::move(s)) {}     // NOLINT(google-explicit-constructor)
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The error; status::success() when ok.
  status error() const { return ok() ? status{} : std::get<status>(v_); }

 private:
  std::variant<T, status> v_;
};

}  // namespace mq
