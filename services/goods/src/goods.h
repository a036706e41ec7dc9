// The goods service (shop.md; port 8081): stock per goods, reduced once per
// order, restored once by the order_cancel compensation.
//
// Races are closed by keys and locks, never by read-then-write:
//  * the stock decrement is conditional (goods_number >= n), so concurrent
//    reduces on the last units never oversell (CHECK goods_number >= 0 backs it);
//  * trade_goods_number_log's key (goods, order, type) makes a reduce and a
//    restore happen at most once per order;
//  * a transaction-scoped advisory lock on the order id serializes the reduce
//    and the restore of one order, so a cancel that arrives first leaves a
//    tombstone (restore row with 0 units) and the late reduce is refused.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "mq/common/message.h"
#include "shop/common/shop_code.h"
#include "shop/db/pool.h"
#include "shop/http.h"

namespace shop::goods {

struct reduce_outcome {
  shop_code code = shop_code::SHOP_SUCCESS;
  bool repeated = false;  // this order had already reduced the same amount
  int64_t remaining = 0;  // stock left after the reduce (when applied now)
};

class goods_service {
 public:
  explicit goods_service(db::pool& db) : db_(db) {}

  // GET /goods/{id}: the goods as JSON, or nullopt when unknown; errors are
  // database failures.
  mq::result<std::optional<nlohmann::json>> get(int64_t goods_id);
  // POST /goods/reduce. Database failures are errors; business refusals are
  // outcomes (SHOP_GOODS_NO_EXIST, SHOP_GOODS_NUM_NOT_ENOUGH,
  // SHOP_GOODS_ORDER_CANCELLED, SHOP_REDUCE_GOODS_NUM_FAIL).
  mq::result<reduce_outcome> reduce(int64_t goods_id, int64_t order_id, int64_t number);
  // The order_cancel compensation, inside the idempotent consumer's
  // transaction: restores what `order_id` reduced of `goods_id` (once), or
  // leaves a tombstone if nothing was reduced.
  static mq::status restore(pqxx::work& tx, int64_t goods_id, int64_t order_id);

  void register_routes(http::router& r);

 private:
  db::pool& db_;
};

// Parses an order_cancel message body {orderId, goodsId, ...}.
mq::result<std::pair<int64_t, int64_t>> parse_cancel(const mq::message_ext& m);

}  // namespace shop::goods
