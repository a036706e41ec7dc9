// ShopCode: the shop's business result codes (shop.md; the seed's enum
// names), each with its number, message and the HTTP status it answers
// with; and the state constants of the tables. The numbers are ours (the
// seed does not fix them) and are documented in docs/api/*.yaml.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace shop {

#define SHOP_CODES(X)                                                                              \
  X(SHOP_SUCCESS, 0, 200, "success")                                                               \
  X(SHOP_FAIL, 1, 500, "failed")                                                                   \
  X(SHOP_REQUEST_PARAMETER_VALID, 1001, 400, "request parameters are invalid")                     \
  X(SHOP_BODY_TOO_LARGE, 1002, 413, "request body too large")                                      \
  X(SHOP_NOT_FOUND, 1003, 404, "no such resource")                                                 \
  X(SHOP_METHOD_NOT_ALLOWED, 1004, 405, "method not allowed")                                      \
  X(SHOP_SERVICE_BUSY, 1005, 503, "service busy, retry later")                                     \
  X(SHOP_INTERNAL_ERROR, 1006, 500, "internal error")                                              \
  X(SHOP_SERVICE_UNAVAILABLE, 1007, 503, "a dependency is unavailable, retry later")               \
  X(SHOP_IDEMPOTENCY_KEY_CONFLICT, 1008, 409, "Idempotency-Key reused with a different request")  \
  X(SHOP_GOODS_NO_EXIST, 2001, 404, "goods do not exist")                                          \
  X(SHOP_GOODS_PRICE_INVALID, 2002, 409, "goods price does not match")                             \
  X(SHOP_GOODS_NUM_NOT_ENOUGH, 2003, 409, "not enough goods in stock")                             \
  X(SHOP_REDUCE_GOODS_NUM_FAIL, 2004, 409, "reducing the stock failed")                            \
  X(SHOP_GOODS_ORDER_CANCELLED, 2005, 409, "the order was cancelled; stock not reduced")           \
  X(SHOP_USER_NO_EXIST, 3001, 404, "user does not exist")                                          \
  X(SHOP_MONEY_PAID_LESS_ZERO, 3002, 400, "amount must not be negative")                           \
  X(SHOP_MONEY_PAID_INVALID, 3003, 409, "balance is not enough")                                   \
  X(SHOP_USER_MONEY_REDUCE_FAIL, 3004, 409, "reducing the balance failed")                         \
  X(SHOP_USER_MONEY_REFUND_ALREADY, 3005, 409, "this order was already refunded")                  \
  X(SHOP_ORDER_PAY_STATUS_NO_PAY, 3006, 409, "this order has not paid with the balance")          \
  X(SHOP_USER_ORDER_CANCELLED, 3007, 409, "the order was cancelled; balance not used")            \
  X(SHOP_USER_MONEY_AMOUNT_MISMATCH, 3008, 409, "a different amount was already used for this order") \
  X(SHOP_COUPON_NO_EXIST, 4001, 404, "coupon does not exist")                                      \
  X(SHOP_COUPON_ISUSED, 4002, 409, "coupon is already used")                                       \
  X(SHOP_COUPON_INVALIED, 4003, 409, "coupon is invalid")                                          \
  X(SHOP_COUPON_USE_FAIL, 4004, 409, "using the coupon failed")                                    \
  X(SHOP_COUPON_NOT_OWNED, 4005, 409, "coupon belongs to another user")                            \
  X(SHOP_COUPON_ORDER_CANCELLED, 4006, 409, "the order was cancelled; coupon not used")           \
  X(SHOP_ORDER_INVALID, 5001, 400, "order is invalid")                                             \
  X(SHOP_ORDER_SHIPPINGFEE_INVALID, 5002, 409, "shipping fee does not match")                      \
  X(SHOP_ORDERAMOUNT_INVALID, 5003, 409, "order amount does not match")                            \
  X(SHOP_ORDER_SAVE_ERROR, 5004, 500, "saving the order failed")                                   \
  X(SHOP_ORDER_CONFIRM_FAIL, 5005, 409, "confirming the order failed")                             \
  X(SHOP_ORDER_NOT_FOUND, 5006, 404, "order does not exist")                                       \
  X(SHOP_ORDER_STATUS_INVALID, 5007, 409, "the order is not in a state that allows this")          \
  X(SHOP_ORDER_PAY_STATUS_IS_PAY, 6001, 409, "the order is already paid")                          \
  X(SHOP_PAYMENT_NOT_FOUND, 6002, 404, "payment does not exist")                                   \
  X(SHOP_PAYMENT_IS_PAID, 6003, 409, "payment is already paid")                                    \
  X(SHOP_PAYMENT_AMOUNT_INVALID, 6004, 409, "payment amount does not match the order")            \
  X(SHOP_MQ_SEND_MESSAGE_FAIL, 7001, 503, "sending the message failed")                            \
  X(SHOP_MQ_TOPIC_IS_EMPTY, 7002, 500, "message topic is empty")                                   \
  X(SHOP_MQ_MESSAGE_BODY_IS_EMPTY, 7003, 500, "message body is empty")

enum class shop_code : int32_t {
#define SHOP_CODE_ENUM(name, num, http, msg) name = num,
  SHOP_CODES(SHOP_CODE_ENUM)
#undef SHOP_CODE_ENUM
};

struct shop_code_info {
  shop_code code;
  int32_t number;
  int http_status;
  std::string_view name;
  std::string_view message;
};

const shop_code_info& info(shop_code c);
// Every code, in declaration order (docs and tests walk it).
const std::vector<shop_code_info>& all_shop_codes();

// The Result envelope: {"success": bool, "code": int, "message": str, "data": ...}.
// success is true only for SHOP_SUCCESS; `message` defaults to the code's.
std::string result_json(shop_code c, const nlohmann::json& data, std::string_view message = {});
std::string result_json(shop_code c);

// Table states (shop.md "States").
namespace order_status {
inline constexpr int no_confirm = 0, confirmed = 1, cancelled = 2, invalid = 3, refunded = 4;
}
namespace pay_status {
inline constexpr int no_pay = 0, paying = 1, paid = 2;
}
namespace shipping_status {
inline constexpr int no_ship = 0, shipped = 1, returned = 2;
}
namespace coupon_state {
inline constexpr int unused = 0, used = 1;
}
namespace trade_pay_state {
inline constexpr int not_paid = 1, paid = 2;
}
namespace money_log_type {
inline constexpr int paid = 1, refund = 2;
}
namespace goods_log_type {
inline constexpr int reduce = 1, restore = 2;
}
namespace consumer_status {
inline constexpr int processing = 0, success = 1, failed = 2;
}

}  // namespace shop
