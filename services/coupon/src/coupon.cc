#include "coupon.h"

#include <spdlog/spdlog.h>

#include "shop/app/api.h"
#include "shop/common/ids.h"

namespace shop::coupon {

using app::reply;

mq::result<std::optional<nlohmann::json>> coupon_service::get(int64_t coupon_id) {
  return db_.query([&](pqxx::transaction_base& tx) -> mq::result<std::optional<nlohmann::json>> {
    auto rows = db::exec(tx, 
        "SELECT coupon_id, coupon_price::text, user_id, order_id, is_used, "
        "to_char(used_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM trade_coupon WHERE coupon_id = $1",
        coupon_id);
    if (rows.empty()) return std::optional<nlohmann::json>();
    auto& r = rows[0];
    nlohmann::json j = {{"couponId", std::to_string(r[0].as<int64_t>())},
                        {"couponPrice", r[1].as<std::string>()},
                        {"userId", std::to_string(r[2].as<int64_t>())},
                        {"orderId", r[3].is_null() ? nlohmann::json() : nlohmann::json(std::to_string(r[3].as<int64_t>()))},
                        {"isUsed", r[4].as<int>()},
                        {"usedTime", r[5].is_null() ? nlohmann::json() : nlohmann::json(r[5].as<std::string>())}};
    return std::optional<nlohmann::json>(std::move(j));
  });
}

mq::result<use_outcome> coupon_service::use(int64_t coupon_id, int64_t order_id, int64_t user_id) {
  return db_.transact([&](pqxx::work& tx) -> mq::result<use_outcome> {
    use_outcome out;
    db::exec(tx, "SELECT pg_advisory_xact_lock($1)", order_id);
    if (!db::exec(tx, "SELECT 1 FROM trade_coupon_cancelled_order WHERE order_id = $1", order_id).empty()) {
      out.code = shop_code::SHOP_COUPON_ORDER_CANCELLED;
      return out;
    }
    auto rows = db::exec(tx, 
        "SELECT user_id, order_id, is_used, coupon_price::text FROM trade_coupon WHERE coupon_id = $1 FOR UPDATE",
        coupon_id);
    if (rows.empty()) {
      out.code = shop_code::SHOP_COUPON_NO_EXIST;
      return out;
    }
    auto& r = rows[0];
    out.coupon_price = r[3].as<std::string>();
    if (r[0].as<int64_t>() != user_id) {
      out.code = shop_code::SHOP_COUPON_NOT_OWNED;
      return out;
    }
    if (r[2].as<int>() == coupon_state::used) {
      if (!r[1].is_null() && r[1].as<int64_t>() == order_id) {
        out.repeated = true;
      } else {
        out.code = shop_code::SHOP_COUPON_ISUSED;
      }
      return out;
    }
    db::exec(tx, "UPDATE trade_coupon SET is_used = 1, order_id = $2, used_time = now() WHERE coupon_id = $1",
                   coupon_id, order_id);
    return out;
  });
}

mq::status coupon_service::release(pqxx::work& tx, int64_t order_id) {
  db::exec(tx, "SELECT pg_advisory_xact_lock($1)", order_id);
  auto held = db::exec(tx, 
      "UPDATE trade_coupon SET is_used = 0, order_id = NULL, used_time = NULL WHERE order_id = $1 RETURNING coupon_id",
      order_id);
  db::exec(tx, 
      "INSERT INTO trade_coupon_cancelled_order (order_id, coupon_id) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING",
      order_id, held.empty() ? std::optional<int64_t>() : std::optional<int64_t>(held[0][0].as<int64_t>()));
  if (held.empty()) {
    spdlog::info("order {}: cancelled; it held no coupon", order_id);
  } else {
    spdlog::info("order {}: cancelled; coupon {} released", order_id, held[0][0].as<int64_t>());
  }
  return mq::status::success();
}

mq::result<int64_t> cancel_order_id(const mq::message_ext& m) {
  auto j = nlohmann::json::parse(m.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return mq::status::error(mq::errc::invalid_argument, "body is not a JSON object");
  return id_from_json(j.value("orderId", nlohmann::json()), "orderId");
}

void coupon_service::register_routes(http::router& r) {
  r.add("GET", "/coupon/{id}", [this](http::request& req) {
    return app::with_input([&] {
      auto c = get(app::path_id(req));
      if (!c) return app::unavailable(c.error());
      if (!*c) return reply(shop_code::SHOP_COUPON_NO_EXIST);
      return reply(shop_code::SHOP_SUCCESS, **c);
    });
  });
  r.add("POST", "/coupon/use", [this](http::request& req) {
    return app::with_input([&] {
      auto body = app::json_body(req);
      int64_t coupon_id = app::need_id(body, "couponId");
      int64_t order_id = app::need_id(body, "orderId");
      int64_t user_id = app::need_id(body, "userId");
      auto o = use(coupon_id, order_id, user_id);
      if (!o) return app::unavailable(o.error());
      if (o->code != shop_code::SHOP_SUCCESS) return reply(o->code);
      spdlog::info("order {}: coupon {} used{}", order_id, coupon_id, o->repeated ? " (repeat)" : "");
      return reply(shop_code::SHOP_SUCCESS, {{"couponId", std::to_string(coupon_id)},
                                             {"orderId", std::to_string(order_id)},
                                             {"couponPrice", o->coupon_price},
                                             {"repeated", o->repeated}});
    });
  });
}

}  // namespace shop::coupon
