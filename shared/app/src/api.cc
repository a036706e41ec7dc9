#include "shop/app/api.h"

#include "shop/common/ids.h"

namespace shop::app {

http::response reply(shop_code c, const nlohmann::json& data, std::string_view message) {
  return http::response::json(info(c).http_status, result_json(c, data, message));
}

http::response bad_request(const std::string& why) { return reply(shop_code::SHOP_REQUEST_PARAMETER_VALID, nullptr, why); }

http::response unavailable(const mq::status& s) {
  return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "dependency unavailable: " + s.message);
}

nlohmann::json json_body(const http::request& req) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw bad_input{"the body is not valid JSON"};
  if (!j.is_object()) throw bad_input{"the body must be a JSON object"};
  return j;
}

namespace {
const nlohmann::json* field(const nlohmann::json& obj, const std::string& name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

int64_t need_id(const nlohmann::json& obj, const std::string& name) {
  auto v = opt_id(obj, name);
  if (!v) throw bad_input{name + " is required"};
  return *v;
}

std::optional<int64_t> opt_id(const nlohmann::json& obj, const std::string& name) {
  auto* f = field(obj, name);
  if (!f) return std::nullopt;
  auto r = id_from_json(*f, name);
  if (!r) throw bad_input{r.error().message};
  return *r;
}

money need_money(const nlohmann::json& obj, const std::string& name) {
  auto v = opt_money(obj, name);
  if (!v) throw bad_input{name + " is required"};
  return *v;
}

std::optional<money> opt_money(const nlohmann::json& obj, const std::string& name) {
  auto* f = field(obj, name);
  if (!f) return std::nullopt;
  auto r = money::from_json(*f);
  if (!r) throw bad_input{name + ": " + r.error().message};
  return *r;
}

int64_t need_int(const nlohmann::json& obj, const std::string& name, int64_t lo, int64_t hi) {
  auto* f = field(obj, name);
  if (!f) throw bad_input{name + " is required"};
  int64_t v = 0;
  if (f->is_number_integer() && !(f->is_number_unsigned() && f->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    v = f->get<int64_t>();
  } else if (f->is_string()) {
    auto r = id_from_text(f->get<std::string>(), name);  // digits only
    if (!r) throw bad_input{name + " must be an integer"};
    v = *r;
  } else {
    throw bad_input{name + " must be an integer"};
  }
  if (v < lo || v > hi) throw bad_input{name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi)};
  return v;
}

std::string need_string(const nlohmann::json& obj, const std::string& name, size_t max_len) {
  auto v = opt_string(obj, name, max_len);
  if (!v || v->empty()) throw bad_input{name + " is required"};
  return *v;
}

std::optional<std::string> opt_string(const nlohmann::json& obj, const std::string& name, size_t max_len) {
  auto* f = field(obj, name);
  if (!f) return std::nullopt;
  if (!f->is_string()) throw bad_input{name + " must be a string"};
  auto s = f->get<std::string>();
  if (s.size() > max_len) throw bad_input{name + " is longer than " + std::to_string(max_len) + " bytes"};
  return s;
}

int64_t path_id(const http::request& req, const std::string& name) {
  auto* p = req.param(name);
  if (!p) throw bad_input{"missing path parameter " + name};
  auto r = id_from_text(*p, name);
  if (!r) throw bad_input{r.error().message};
  return *r;
}

}  // namespace shop::app
