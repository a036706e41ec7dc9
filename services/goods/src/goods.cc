#include "goods.h"

#include <spdlog/spdlog.h>

#include "shop/app/api.h"
#include "shop/common/ids.h"
#include "shop/common/money.h"

namespace shop::goods {

using app::reply;

mq::result<std::optional<nlohmann::json>> goods_service::get(int64_t goods_id) {
  return db_.query([&](pqxx::transaction_base& tx) -> mq::result<std::optional<nlohmann::json>> {
    auto rows = db::exec(tx, 
        "SELECT goods_id, goods_name, goods_number, goods_price::text, coalesce(goods_desc, ''), "
        "to_char(add_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM trade_goods WHERE goods_id = $1",
        goods_id);
    if (rows.empty()) return std::optional<nlohmann::json>();
    auto& r = rows[0];
    return std::optional<nlohmann::json>(nlohmann::json{{"goodsId", std::to_string(r[0].as<int64_t>())},
                                                        {"goodsName", r[1].as<std::string>()},
                                                        {"goodsNumber", r[2].as<int64_t>()},
                                                        {"goodsPrice", r[3].as<std::string>()},
                                                        {"goodsDesc", r[4].as<std::string>()},
                                                        {"addTime", r[5].as<std::string>()}});
  });
}

mq::result<reduce_outcome> goods_service::reduce(int64_t goods_id, int64_t order_id, int64_t number) {
  // One statement (sql/goods/002_reduce_function.sql): one round trip, one commit.
  return db_.apply([&](pqxx::transaction_base& tx) -> mq::result<reduce_outcome> {
    auto row = db::exec1(tx, "SELECT result, remaining FROM goods_reduce($1, $2, $3)", goods_id, order_id, number);
    reduce_outcome out;
    switch (row[0].as<int>()) {
      case 0: out.remaining = row[1].as<int64_t>(); break;
      case 1: out.repeated = true; break;
      case 2: out.code = shop_code::SHOP_GOODS_ORDER_CANCELLED; break;
      case 3: out.code = shop_code::SHOP_REDUCE_GOODS_NUM_FAIL; break;
      case 4: out.code = shop_code::SHOP_GOODS_NO_EXIST; break;
      default: out.code = shop_code::SHOP_GOODS_NUM_NOT_ENOUGH; break;
    }
    return out;
  });
}

mq::status goods_service::restore(pqxx::work& tx, int64_t goods_id, int64_t order_id) {
  db::exec(tx, "SELECT pg_advisory_xact_lock($1)", order_id);
  auto goods = db::exec(tx, "SELECT 1 FROM trade_goods WHERE goods_id = $1", goods_id);
  if (goods.empty()) {
    spdlog::warn("order_cancel for order {}: goods {} unknown; nothing to restore", order_id, goods_id);
    return mq::status::success();
  }
  auto reduced = db::exec(tx, 
      "SELECT goods_number FROM trade_goods_number_log WHERE goods_id = $1 AND order_id = $2 AND log_type = $3",
      goods_id, order_id, goods_log_type::reduce);
  int64_t n = reduced.empty() ? 0 : reduced[0][0].as<int64_t>();
  auto ins = db::exec(tx, 
      "INSERT INTO trade_goods_number_log (goods_id, order_id, log_type, goods_number) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT DO NOTHING RETURNING 1",
      goods_id, order_id, goods_log_type::restore, n);
  if (ins.empty()) {
    spdlog::info("order {}: goods {} already restored", order_id, goods_id);
    return mq::status::success();
  }
  if (n > 0) {
    db::exec(tx, "UPDATE trade_goods SET goods_number = goods_number + $2 WHERE goods_id = $1", goods_id, n);
    spdlog::info("order {}: restored {} of goods {}", order_id, n, goods_id);
  } else {
    spdlog::info("order {}: cancel before any reduce of goods {}; tombstone left", order_id, goods_id);
  }
  return mq::status::success();
}

mq::result<std::pair<int64_t, int64_t>> parse_cancel(const mq::message_ext& m) {
  auto j = nlohmann::json::parse(m.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return mq::status::error(mq::errc::invalid_argument, "body is not a JSON object");
  auto order = id_from_json(j.value("orderId", nlohmann::json()), "orderId");
  if (!order) return order.error();
  auto goods = id_from_json(j.value("goodsId", nlohmann::json()), "goodsId");
  if (!goods) return goods.error();
  return std::pair<int64_t, int64_t>{*order, *goods};
}

void goods_service::register_routes(http::router& r) {
  r.add("GET", "/goods/{id}", [this](http::request& req) {
    return app::with_input([&] {
      int64_t id = app::path_id(req);
      auto g = get(id);
      if (!g) return app::unavailable(g.error());
      if (!*g) return reply(shop_code::SHOP_GOODS_NO_EXIST);
      return reply(shop_code::SHOP_SUCCESS, **g);
    });
  });
  r.add("POST", "/goods/reduce", [this](http::request& req) {
    return app::with_input([&] {
      auto body = app::json_body(req);
      int64_t goods_id = app::need_id(body, "goodsId");
      int64_t order_id = app::need_id(body, "orderId");
      int64_t number = app::need_int(body, "goodsNumber", 1, 1000000);
      auto o = reduce(goods_id, order_id, number);
      if (!o) return app::unavailable(o.error());
      if (o->code != shop_code::SHOP_SUCCESS) return reply(o->code);
      nlohmann::json data = {{"goodsId", std::to_string(goods_id)},
                             {"orderId", std::to_string(order_id)},
                             {"goodsNumber", number},
                             {"repeated", o->repeated}};
      if (!o->repeated) data["remaining"] = o->remaining;
      spdlog::info("order {}: reduced {} of goods {}{}", order_id, number, goods_id, o->repeated ? " (repeat)" : "");
      return reply(shop_code::SHOP_SUCCESS, data);
    });
  });
}

}  // namespace shop::goods
