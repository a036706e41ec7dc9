// The coupon service (shop.md; port 8082): a coupon is used by at most one
// order, only by its owner; order_cancel releases it. An advisory lock on
// the order id serializes use and release of one order; a release that comes
// first leaves a tombstone (trade_coupon_cancelled_order) and the late use
// is refused.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "mq/common/message.h"
#include "shop/common/shop_code.h"
#include "shop/db/pool.h"
#include "shop/http.h"

namespace shop::coupon {

struct use_outcome {
  shop_code code = shop_code::SHOP_SUCCESS;
  bool repeated = false;
  std::string coupon_price;
};

class coupon_service {
 public:
  explicit coupon_service(db::pool& db) : db_(db) {}
  mq::result<std::optional<nlohmann::json>> get(int64_t coupon_id);
  mq::result<use_outcome> use(int64_t coupon_id, int64_t order_id, int64_t user_id);
  // order_cancel: release the coupon this order holds (if any), once; tombstone the order.
  static mq::status release(pqxx::work& tx, int64_t order_id);
  void register_routes(http::router& r);

 private:
  db::pool& db_;
};

// orderId of an order_cancel body.
mq::result<int64_t> cancel_order_id(const mq::message_ext& m);

}  // namespace shop::coupon
