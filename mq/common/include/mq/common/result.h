// Expected failures as values (style.md "Errors"): `status` and `result<T>`.
// One errc enum for mq/common; other modules may map it onto their own. Wire
// error codes (RocketMQ response codes) are not errc values.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mq {

enum class errc {
  ok = 0,
  invalid_argument,  // the caller passed something unusable (bad id, bad option)
  corrupt,           // input bytes are malformed (decoders)
  too_large,         // a size limit was exceeded
  not_found,
  io_error,
  timeout,
  busy,
  closed,
  unsupported,  // well-formed but not something we handle (e.g. a 5.x record)
};

// An error code with a human-readable message; ok() when code == errc::ok.
struct status {
  errc code = errc::ok;
  std::string message;
  bool ok() const { return code == errc::ok; }
  static status success() { return {}; }
  static status error(errc c, std::string m) { return {c, std::move(m)}; }
};

// A T or a (non-ok) status. Implicitly constructible from either, so a
// function returning result<T> can `return value;` or `return status::error(...)`.
// value() / operator* / operator-> on an error is a bug and throws
// std::bad_variant_access; test ok() (or operator bool) first.
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
