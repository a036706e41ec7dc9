// The user service (shop.md; port 8083): balances used by orders at most
// once (money log type 1 = paid) and refunded at most once after a pay
// (type 2), keyed by (user, order, type) — the seed's changeUserMoney made
// race-free. An advisory lock on the order id serializes pay and refund of
// one order; a refund that arrives before the pay leaves a tombstone
// (type-2 row of 0.00) and the late pay is refused. Score for a paid order
// is added once (trade_user_score_log).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "mq/common/message.h"
#include "shop/common/money.h"
#include "shop/common/shop_code.h"
#include "shop/db/pool.h"
#include "shop/http.h"

namespace shop::user {

struct money_outcome {
  shop_code code = shop_code::SHOP_SUCCESS;
  bool repeated = false;
  std::string balance;  // after the change (when applied now)
};

class user_service {
 public:
  explicit user_service(db::pool& db) : db_(db) {}
  mq::result<std::optional<nlohmann::json>> get(int64_t user_id);
  mq::result<money_outcome> change_money(int64_t user_id, int64_t order_id, money amount, int log_type);
  // order_cancel: refund what this order paid with the balance (once), or tombstone.
  static mq::status refund_for_cancel(pqxx::work& tx, int64_t user_id, int64_t order_id);
  // paid: add 1 point per whole unit of the pay amount, once per order.
  static mq::status add_score(pqxx::work& tx, int64_t user_id, int64_t order_id, money pay_amount);
  void register_routes(http::router& r);

 private:
  // One call of user_change_money (sql/users/002_change_money_function.sql):
  // the whole pay (log_type 1) or refund (2) of one order in one statement.
  static money_outcome apply_change(pqxx::transaction_base& tx, int64_t user_id, int64_t order_id, money amount,
                                    int log_type);
  db::pool& db_;
};

}  // namespace shop::user
