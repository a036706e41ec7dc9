// Helpers for service HTTP handlers: Result responses and validated input.
// A handler parses its input with these and answers 4xx Results for bad
// input before touching the database.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mq/common/result.h"
#include "shop/common/money.h"
#include "shop/common/shop_code.h"
#include "shop/http.h"

namespace shop::app {

// A Result response; the HTTP status is the code's.
http::response reply(shop_code c, const nlohmann::json& data = nullptr, std::string_view message = {});
// SHOP_REQUEST_PARAMETER_VALID (400) with the reason.
http::response bad_request(const std::string& why);

// Thrown by the field readers below; turned into a 400 by with_input().
struct bad_input {
  std::string why;
};

// The body as a JSON object (bad_input otherwise: malformed JSON, not an object).
nlohmann::json json_body(const http::request& req);
int64_t need_id(const nlohmann::json& obj, const std::string& field);
std::optional<int64_t> opt_id(const nlohmann::json& obj, const std::string& field);
money need_money(const nlohmann::json& obj, const std::string& field);
std::optional<money> opt_money(const nlohmann::json& obj, const std::string& field);
// An integer in [lo, hi] (JSON integer, or a string of digits).
int64_t need_int(const nlohmann::json& obj, const std::string& field, int64_t lo, int64_t hi);
std::string need_string(const nlohmann::json& obj, const std::string& field, size_t max_len);
std::optional<std::string> opt_string(const nlohmann::json& obj, const std::string& field, size_t max_len);
int64_t path_id(const http::request& req, const std::string& name = "id");

// Runs `fn`, answering a bad_input with 400 and a database or broker
// failure with 503 (SHOP_SERVICE_UNAVAILABLE) instead of a 500.
template <class F>
http::response with_input(F&& fn) {
  try {
    return fn();
  } catch (const bad_input& b) {
    return bad_request(b.why);
  }
}

// Maps an infrastructure error (database, broker, downstream HTTP) to 503.
http::response unavailable(const mq::status& s);

}  // namespace shop::app
