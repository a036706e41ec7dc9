#include "user.h"

#include <spdlog/spdlog.h>

#include "shop/app/api.h"
#include "shop/common/ids.h"

namespace shop::user {

using app::reply;

mq::result<std::optional<nlohmann::json>> user_service::get(int64_t user_id) {
  return db_.query([&](pqxx::transaction_base& tx) -> mq::result<std::optional<nlohmann::json>> {
    auto rows = db::exec(tx, 
        "SELECT user_id, user_name, coalesce(user_mobile, ''), user_score, user_money::text, "
        "to_char(user_reg_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM trade_user WHERE user_id = $1",
        user_id);
    if (rows.empty()) return std::optional<nlohmann::json>();
    auto& r = rows[0];
    // Never the password hash.
    return std::optional<nlohmann::json>(nlohmann::json{{"userId", std::to_string(r[0].as<int64_t>())},
                                                        {"userName", r[1].as<std::string>()},
                                                        {"userMobile", r[2].as<std::string>()},
                                                        {"userScore", r[3].as<int64_t>()},
                                                        {"userMoney", r[4].as<std::string>()},
                                                        {"userRegTime", r[5].as<std::string>()}});
  });
}

namespace {
// The money-log rows of one order: type -> amount.
std::map<int, std::string> order_logs(pqxx::work& tx, int64_t user_id, int64_t order_id) {
  std::map<int, std::string> out;
  for (const auto& row : db::exec(tx, 
           "SELECT money_log_type, use_money::text FROM trade_user_money_log WHERE user_id = $1 AND order_id = $2",
           user_id, order_id))
    out[row[0].as<int>()] = row[1].as<std::string>();
  return out;
}
}  // namespace

money_outcome user_service::apply_change(pqxx::transaction_base& tx, int64_t user_id, int64_t order_id, money amount,
                                         int log_type) {
  auto row = db::exec1(tx, "SELECT result, balance FROM user_change_money($1, $2, $3::numeric, $4)", user_id, order_id,
                       amount.str(), log_type);
  money_outcome out;
  switch (row[0].as<int>()) {
    case 0: out.balance = row[1].as<std::string>(); break;
    case 1: out.repeated = true; break;
    case 2: out.code = shop_code::SHOP_USER_ORDER_CANCELLED; break;
    case 3: out.code = shop_code::SHOP_USER_MONEY_AMOUNT_MISMATCH; break;
    case 4: out.code = shop_code::SHOP_USER_NO_EXIST; break;
    case 5: out.code = shop_code::SHOP_MONEY_PAID_INVALID; break;
    default: out.code = shop_code::SHOP_ORDER_PAY_STATUS_NO_PAY; break;
  }
  return out;
}

mq::result<money_outcome> user_service::change_money(int64_t user_id, int64_t order_id, money amount, int log_type) {
  // One statement in autocommit: one round trip, one commit.
  return db_.apply([&](pqxx::transaction_base& tx) -> mq::result<money_outcome> {
    return apply_change(tx, user_id, order_id, amount, log_type);
  });
}

mq::status user_service::refund_for_cancel(pqxx::work& tx, int64_t user_id, int64_t order_id) {
  db::exec(tx, "SELECT pg_advisory_xact_lock($1)", order_id);
  if (db::exec(tx, "SELECT 1 FROM trade_user WHERE user_id = $1", user_id).empty()) {
    spdlog::warn("order_cancel for order {}: user {} unknown; nothing to refund", order_id, user_id);
    return mq::status::success();
  }
  auto logs = order_logs(tx, user_id, order_id);
  if (logs.contains(money_log_type::refund)) return mq::status::success();  // already refunded or tombstoned
  auto paid = logs.find(money_log_type::paid);
  if (paid == logs.end()) {
    db::exec(tx, 
        "INSERT INTO trade_user_money_log (user_id, order_id, money_log_type, use_money) VALUES ($1, $2, $3, 0)",
        user_id, order_id, money_log_type::refund);
    spdlog::info("order {}: cancelled before any balance use; tombstone left for user {}", order_id, user_id);
    return mq::status::success();
  }
  auto r = apply_change(tx, user_id, order_id, *money::parse(paid->second), money_log_type::refund);
  spdlog::info("order {}: refunded {} to user {} (balance {})", order_id, paid->second, user_id, r.balance);
  return mq::status::success();
}

mq::status user_service::add_score(pqxx::work& tx, int64_t user_id, int64_t order_id, money pay_amount) {
  int64_t score = pay_amount.whole_units();
  auto ins = db::exec(tx, 
      "INSERT INTO trade_user_score_log (user_id, order_id, score) SELECT $1, $2, $3 "
      "WHERE EXISTS (SELECT 1 FROM trade_user WHERE user_id = $1) ON CONFLICT DO NOTHING RETURNING 1",
      user_id, order_id, score);
  if (ins.empty()) return mq::status::success();  // already added, or unknown user (logged by the caller)
  db::exec(tx, "UPDATE trade_user SET user_score = user_score + $2 WHERE user_id = $1", user_id, score);
  spdlog::info("order {}: {} points added to user {}", order_id, score, user_id);
  return mq::status::success();
}

void user_service::register_routes(http::router& r) {
  r.add("GET", "/user/{id}", [this](http::request& req) {
    return app::with_input([&] {
      auto u = get(app::path_id(req));
      if (!u) return app::unavailable(u.error());
      if (!*u) return reply(shop_code::SHOP_USER_NO_EXIST);
      return reply(shop_code::SHOP_SUCCESS, **u);
    });
  });
  r.add("POST", "/user/money", [this](http::request& req) {
    return app::with_input([&] {
      auto body = app::json_body(req);
      int64_t user_id = app::need_id(body, "userId");
      int64_t order_id = app::need_id(body, "orderId");
      money amount = app::need_money(body, "useMoney");
      int log_type = static_cast<int>(app::need_int(body, "moneyLogType", 1, 2));
      if (amount.negative()) return reply(shop_code::SHOP_MONEY_PAID_LESS_ZERO);
      if (amount == money::zero()) throw app::bad_input{"useMoney must be more than 0.00"};
      if (amount > money::from_cents(10'000'000'000LL * 100 - 1)) throw app::bad_input{"useMoney is too large"};
      auto o = change_money(user_id, order_id, amount, log_type);
      if (!o) return app::unavailable(o.error());
      if (o->code != shop_code::SHOP_SUCCESS) return reply(o->code);
      spdlog::info("order {}: user {} {} {}{}", order_id, user_id, log_type == 1 ? "paid" : "refunded", amount.str(),
                   o->repeated ? " (repeat)" : "");
      nlohmann::json data = {{"userId", std::to_string(user_id)}, {"orderId", std::to_string(order_id)},
                             {"useMoney", amount.str()},          {"moneyLogType", log_type},
                             {"repeated", o->repeated}};
      if (!o->repeated) data["userMoney"] = o->balance;
      return reply(shop_code::SHOP_SUCCESS, data);
    });
  });
}

}  // namespace shop::user
