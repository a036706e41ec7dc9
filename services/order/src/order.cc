#include "order.h"

#include <ctime>

#include <spdlog/spdlog.h>

#include "shop/app/api.h"
#include "shop/app/idempotency.h"
#include "shop/mq/outbox.h"

namespace shop::order {

using app::reply;
using nlohmann::json;

namespace {

// Money limits of the order's columns (numeric(12,2)).
const money max_amount = money::from_cents(999'999'999'999LL);

std::string ts(const pqxx::field& f) { return f.is_null() ? std::string() : f.as<std::string>(); }
json ts_json(const pqxx::field& f) { return f.is_null() ? json() : json(f.as<std::string>()); }
json id_json(const pqxx::field& f) { return f.is_null() ? json() : json(std::to_string(f.as<int64_t>())); }

#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

// Now as ISO-8601 UTC with milliseconds ("2026-11-24T23:59:59.123Z").
std::string iso_utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

// A downstream service's answer.
struct remote {
  int status = 0;  // 0: no answer (connect failure, timeout)
  json body;
  std::string error;

  bool ok() const { return status == 200 && body.is_object() && body.value("success", false); }
  // The business refusal's ShopCode (a 4xx Result), if any.
  std::optional<shop_code> refusal() const {
    if (status < 400 || status >= 500 || !body.is_object() || !body.contains("code") || !body["code"].is_number_integer())
      return std::nullopt;
    int n = body["code"].get<int>();
    for (auto& c : all_shop_codes())
      if (c.number == n) return c.code;
    return std::nullopt;
  }
  const json& data() const {
    static const json none;
    return body.is_object() && body.contains("data") ? body["data"] : none;
  }
  std::string describe() const {
    if (status == 0) return error;
    return "HTTP " + std::to_string(status) + " " + (body.is_object() ? body.value("message", std::string()) : "");
  }
};

remote call(http::client& c, const std::string& method, const std::string& base, const std::string& target,
            const json& body = nullptr) {
  remote out;
  // Every downstream call is idempotent by its order id, so retrying a lost
  // answer is safe.
  auto r = c.request(method, base, target, body.is_null() ? std::string() : body.dump(), http::idempotent::yes,
                     body.is_null() ? std::map<std::string, std::string>{}
                                    : std::map<std::string, std::string>{{"Content-Type", "application/json"}});
  if (!r) {
    out.error = r.error().message;
    return out;
  }
  out.status = r->status;
  out.body = json::parse(r->body, nullptr, false);
  if (out.body.is_discarded()) out.body = nullptr;
  return out;
}

std::optional<money> money_field(const json& data, const char* name) {
  if (!data.is_object() || !data.contains(name)) return std::nullopt;
  auto m = money::from_json(data[name]);
  if (!m) return std::nullopt;
  return *m;
}

// The delayed check, the cancel event and the steps carry the order id in
// their body as a string.
mq::result<int64_t> order_id_of(const mq::message_ext& m, json* body) {
  *body = json::parse(m.body, nullptr, false);
  if (body->is_discarded() || !body->is_object())
    return mq::status::error(mq::errc::invalid_argument, "body is not a JSON object");
  return id_from_json(body->value("orderId", json()), "orderId");
}

}  // namespace

struct order_service::confirm_input {
  int64_t goods_id = 0, user_id = 0, goods_number = 0;
  money goods_price, shipping_fee, order_amount;
  std::optional<int64_t> coupon_id;
  std::optional<money> money_paid;
  std::string address, consignee;
};

order_service::order_service(db::pool& db, id_worker& ids, const fault_plan& faults, order_config cfg,
                             std::function<void()> kick)
    : db_(db), ids_(ids), faults_(faults), cfg_(std::move(cfg)), kick_(std::move(kick)) {
  http::client_options co;
  co.request_timeout = cfg_.call_timeout;
  co.connect_timeout = std::min(cfg_.call_timeout, std::chrono::milliseconds(1000));
  co.retries_for_idempotent = 1;
  co.max_idle_per_host = 64;
  client_ = std::make_unique<http::client>(co);
}

order_service::~order_service() = default;

messaging::outbox_message order_service::step_message(int64_t order_id, const std::string& step) const {
  return {.topic = cfg_.step_topic,
          .tag = step,
          .key = std::to_string(order_id),
          .body = json{{"orderId", std::to_string(order_id)}, {"step", step}, {"at", iso_utc_now()}}.dump(),
          .shard_key = order_id};
}

void order_service::enqueue_step(pqxx::work& tx, int64_t order_id, const std::string& step) {
  messaging::outbox_enqueue(tx, cfg_.producer_group, step_message(order_id, step));
}

bool order_service::cancel_unconfirmed(pqxx::work& tx, int64_t order_id, bool publish_cancel, const std::string& why) {
  auto rows = db::exec(tx, 
      "SELECT order_status, user_id, goods_id, goods_number, coupon_id, money_paid::text FROM trade_order "
      "WHERE order_id = $1 FOR UPDATE",
      order_id);
  if (rows.empty() || rows[0][0].as<int>() != order_status::no_confirm) return false;
  auto& r = rows[0];
  db::exec(tx, "UPDATE trade_order SET order_status = $2 WHERE order_id = $1", order_id, order_status::cancelled);
  if (publish_cancel) {
    json body = {{"orderId", std::to_string(order_id)},
                 {"userId", std::to_string(r[1].as<int64_t>())},
                 {"goodsId", std::to_string(r[2].as<int64_t>())},
                 {"goodsNumber", r[3].as<int64_t>()},
                 {"couponId", id_json(r[4])},
                 {"userMoney", r[5].as<std::string>()}};
    messaging::outbox_enqueue(
        tx, cfg_.producer_group,
        {.topic = cfg_.order_topic, .tag = cfg_.cancel_tag, .key = std::to_string(order_id), .body = body.dump()});
  }
  enqueue_step(tx, order_id, "cancelled");
  spdlog::warn("order {}: cancelled ({}){}", order_id, why, publish_cancel ? "; order_cancel enqueued" : "");
  return true;
}

http::response order_service::compensate(int64_t order_id, shop_code code, const std::string& why) {
  auto st = db_.transact([&](pqxx::work& tx) -> mq::status {
    cancel_unconfirmed(tx, order_id, true, why);
    return mq::status::success();
  });
  if (st.ok()) {
    kick_();
  } else {
    // The pre-order's delayed check (already in the outbox) will cancel it.
    spdlog::error("order {}: compensation not recorded ({}); the delayed check will run it", order_id, st.message);
  }
  return reply(code, json{{"orderId", std::to_string(order_id)}}, "order cancelled: " + why);
}

http::response order_service::confirm(const http::request& req) {
  auto body = app::json_body(req);
  confirm_input in;
  in.goods_id = app::need_id(body, "goodsId");
  in.user_id = app::need_id(body, "userId");
  in.goods_number = app::need_int(body, "goodsNumber", 1, 1'000'000);
  in.goods_price = app::need_money(body, "goodsPrice");
  in.shipping_fee = app::need_money(body, "shippingFee");
  in.order_amount = app::need_money(body, "orderAmount");
  in.coupon_id = app::opt_id(body, "couponId");
  in.money_paid = app::opt_money(body, "moneyPaid");
  in.address = app::need_string(body, "address", 512);
  in.consignee = app::need_string(body, "consignee", 128);
  for (auto [name, m] : {std::pair{"goodsPrice", in.goods_price}, std::pair{"shippingFee", in.shipping_fee},
                         std::pair{"orderAmount", in.order_amount}}) {
    if (m.negative()) throw app::bad_input{std::string(name) + " must not be negative"};
    if (m > max_amount) throw app::bad_input{std::string(name) + " is too large"};
  }
  if (in.money_paid && in.money_paid->negative()) return reply(shop_code::SHOP_MONEY_PAID_LESS_ZERO);
  if (in.money_paid && *in.money_paid > max_amount) throw app::bad_input{"moneyPaid is too large"};

  // 1. Check: goods, user, price, stock.
  auto goods = call(*client_, "GET", cfg_.goods_url, "/goods/" + std::to_string(in.goods_id));
  if (auto c = goods.refusal()) return reply(*c);
  if (!goods.ok()) return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "goods service: " + goods.describe());
  auto user = call(*client_, "GET", cfg_.user_url, "/user/" + std::to_string(in.user_id));
  if (auto c = user.refusal()) return reply(*c);
  if (!user.ok()) return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "user service: " + user.describe());
  auto price = money_field(goods.data(), "goodsPrice");
  auto balance = money_field(user.data(), "userMoney");
  if (!price || !balance || !goods.data().contains("goodsNumber"))
    return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "malformed answer from the goods or user service");
  if (*price != in.goods_price) return reply(shop_code::SHOP_GOODS_PRICE_INVALID);
  if (in.goods_number > goods.data()["goodsNumber"].get<int64_t>()) return reply(shop_code::SHOP_GOODS_NUM_NOT_ENOUGH);

  // 2. Pre-order: amounts, coupon, balance.
  auto goods_amount = in.goods_price.mul(in.goods_number);
  if (!goods_amount || *goods_amount > max_amount) throw app::bad_input{"goodsPrice × goodsNumber is too large"};
  money fee = *goods_amount > money::from_cents(100'00) ? money::zero() : money::from_cents(10'00);
  if (in.shipping_fee != fee) return reply(shop_code::SHOP_ORDER_SHIPPINGFEE_INVALID, nullptr, "shippingFee must be " + fee.str());
  auto amount = goods_amount->add(fee);
  if (!amount || *amount != in.order_amount)
    return reply(shop_code::SHOP_ORDERAMOUNT_INVALID, nullptr, "orderAmount must be " + (amount ? amount->str() : "?"));
  money coupon_paid = money::zero();
  if (in.coupon_id) {
    auto coupon = call(*client_, "GET", cfg_.coupon_url, "/coupon/" + std::to_string(*in.coupon_id));
    if (auto c = coupon.refusal()) return reply(*c);
    if (!coupon.ok()) return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "coupon service: " + coupon.describe());
    auto& d = coupon.data();
    auto cp = money_field(d, "couponPrice");
    if (!cp) return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "malformed answer from the coupon service");
    if (d.value("isUsed", 0) != coupon_state::unused) return reply(shop_code::SHOP_COUPON_ISUSED);
    if (d.value("userId", std::string()) != std::to_string(in.user_id)) return reply(shop_code::SHOP_COUPON_NOT_OWNED);
    coupon_paid = *cp;
  }
  money money_paid = in.money_paid.value_or(money::zero());
  if (money_paid > *balance) return reply(shop_code::SHOP_MONEY_PAID_INVALID);
  auto pay_amount = amount->sub(coupon_paid).value_or(money::zero());
  auto pay_after_money = pay_amount.sub(money_paid);
  if (!pay_after_money || pay_after_money->negative())
    return reply(shop_code::SHOP_ORDERAMOUNT_INVALID, nullptr, "couponPaid + moneyPaid exceed orderAmount");
  pay_amount = *pay_after_money;

  auto id = ids_.next();
  if (!id) return app::unavailable(id.error());
  int64_t order_id = *id;
  // The pre-order and its delayed check in one statement (so one round trip
  // and one commit): the check is published with the pre-order or not at all.
  messaging::outbox_message check{.topic = cfg_.order_topic,
                                  .tag = cfg_.check_tag,
                                  .key = std::to_string(order_id),
                                  .body = json{{"orderId", std::to_string(order_id)}}.dump(),
                                  .delay_level = cfg_.check_delay_level};
  static const std::string pre_order_sql =
      "WITH o AS (INSERT INTO trade_order (order_id, user_id, order_status, pay_status, shipping_status, address, "
      "consignee, goods_id, goods_number, goods_price, goods_amount, shipping_fee, order_amount, coupon_id, "
      "coupon_paid, money_paid, pay_amount) VALUES ($1, $2, 0, 0, 0, $3, $4, $5, $6, $7::numeric, $8::numeric, "
      "$9::numeric, $10::numeric, $11, $12::numeric, $13::numeric, $14::numeric) RETURNING order_id) " +
      messaging::outbox_insert_from("o", 15);
  auto saved = db_.apply([&](pqxx::transaction_base& tx) -> mq::status {
    db::exec1(tx, pre_order_sql, order_id, in.user_id, in.address, in.consignee, in.goods_id, in.goods_number,
              in.goods_price.str(), goods_amount->str(), fee.str(), amount->str(), in.coupon_id, coupon_paid.str(),
              money_paid.str(), pay_amount.str(), cfg_.producer_group, check.topic, check.tag, check.key, check.body,
              check.delay_level, check.shard_key);
    return mq::status::success();
  });
  if (!saved.ok()) return reply(shop_code::SHOP_ORDER_SAVE_ERROR, nullptr, saved.message);
  // No kick for the check: it is due minutes from now, and every way out of
  // this request (confirm or compensate) kicks the relay, which then
  // publishes it with the step or the cancel in one pass; a crash before
  // that leaves it to the relay's next poll or its start.
  spdlog::info("order {}: pre-order saved (user {}, goods {} × {}, pay {})", order_id, in.user_id, in.goods_id,
               in.goods_number, pay_amount.str());

  // 3. Reduce stock.
  auto reduced = call(*client_, "POST", cfg_.goods_url, "/goods/reduce",
                      {{"goodsId", std::to_string(in.goods_id)},
                       {"orderId", std::to_string(order_id)},
                       {"goodsNumber", in.goods_number}});
  if (!reduced.ok())
    return compensate(order_id, reduced.refusal().value_or(shop_code::SHOP_REDUCE_GOODS_NUM_FAIL),
                      "reduce stock: " + reduced.describe());
  if (faults_.hit("after_reduce_goods"))
    return compensate(order_id, shop_code::SHOP_REDUCE_GOODS_NUM_FAIL, "injected fault after_reduce_goods");

  // 4. Use the coupon.
  if (in.coupon_id) {
    auto used = call(*client_, "POST", cfg_.coupon_url, "/coupon/use",
                     {{"couponId", std::to_string(*in.coupon_id)},
                      {"orderId", std::to_string(order_id)},
                      {"userId", std::to_string(in.user_id)}});
    if (!used.ok())
      return compensate(order_id, used.refusal().value_or(shop_code::SHOP_COUPON_USE_FAIL),
                        "use coupon: " + used.describe());
  }
  if (faults_.hit("after_use_coupon"))
    return compensate(order_id, shop_code::SHOP_COUPON_USE_FAIL, "injected fault after_use_coupon");

  // 5. Reduce the balance.
  if (money_paid > money::zero()) {
    auto paid = call(*client_, "POST", cfg_.user_url, "/user/money",
                     {{"userId", std::to_string(in.user_id)},
                      {"orderId", std::to_string(order_id)},
                      {"useMoney", money_paid.str()},
                      {"moneyLogType", money_log_type::paid}});
    if (!paid.ok())
      return compensate(order_id, paid.refusal().value_or(shop_code::SHOP_USER_MONEY_REDUCE_FAIL),
                        "reduce balance: " + paid.describe());
  }
  if (faults_.hit("after_reduce_money"))
    return compensate(order_id, shop_code::SHOP_USER_MONEY_REDUCE_FAIL, "injected fault after_reduce_money");
  if (faults_.hit("before_confirm"))
    return compensate(order_id, shop_code::SHOP_ORDER_CONFIRM_FAIL, "injected fault before_confirm");

  // 6. Confirm, and 7. the "created" step, in one statement: both or neither
  // (no row when the delayed check cancelled the order meanwhile).
  auto created = step_message(order_id, "created");
  static const std::string confirm_sql =
      "WITH o AS (UPDATE trade_order SET order_status = 1, confirm_time = now() WHERE order_id = $1 AND "
      "order_status = 0 RETURNING order_id) " +
      messaging::outbox_insert_from("o", 2);
  auto confirmed = db_.apply([&](pqxx::transaction_base& tx) -> mq::result<bool> {
    return !db::exec(tx, confirm_sql, order_id, cfg_.producer_group, created.topic, created.tag, created.key, created.body,
                     created.delay_level, created.shard_key)
                .empty();
  });
  if (!confirmed) return compensate(order_id, shop_code::SHOP_ORDER_CONFIRM_FAIL, "confirm: " + confirmed.error().message);
  if (!*confirmed) return compensate(order_id, shop_code::SHOP_ORDER_CONFIRM_FAIL, "the order was cancelled meanwhile");
  kick_();
  spdlog::info("order {}: confirmed", order_id);
  return reply(shop_code::SHOP_SUCCESS, json{{"orderId", std::to_string(order_id)}});
}

http::response order_service::get_order(int64_t order_id) {
  auto r = db_.query([&](pqxx::transaction_base& tx) -> mq::result<std::optional<json>> {
    auto rows = db::exec(tx, 
        "SELECT order_id, user_id, order_status, pay_status, shipping_status, coalesce(address, ''), "
        "coalesce(consignee, ''), goods_id, goods_number, goods_price::text, goods_amount::text, shipping_fee::text, "
        "order_amount::text, coupon_id, coupon_paid::text, money_paid::text, pay_amount::text, " ISO_UTC("add_time")
        ", " ISO_UTC("confirm_time") ", " ISO_UTC("pay_time") ", " ISO_UTC("shipping_time") ", " ISO_UTC("finish_time")
        " FROM trade_order WHERE order_id = $1",
        order_id);
    if (rows.empty()) return std::optional<json>();
    auto& r = rows[0];
    return std::optional<json>(json{{"orderId", std::to_string(r[0].as<int64_t>())},
                                    {"userId", std::to_string(r[1].as<int64_t>())},
                                    {"orderStatus", r[2].as<int>()},
                                    {"payStatus", r[3].as<int>()},
                                    {"shippingStatus", r[4].as<int>()},
                                    {"address", r[5].as<std::string>()},
                                    {"consignee", r[6].as<std::string>()},
                                    {"goodsId", std::to_string(r[7].as<int64_t>())},
                                    {"goodsNumber", r[8].as<int64_t>()},
                                    {"goodsPrice", r[9].as<std::string>()},
                                    {"goodsAmount", r[10].as<std::string>()},
                                    {"shippingFee", r[11].as<std::string>()},
                                    {"orderAmount", r[12].as<std::string>()},
                                    {"couponId", id_json(r[13])},
                                    {"couponPaid", r[14].as<std::string>()},
                                    {"moneyPaid", r[15].as<std::string>()},
                                    {"payAmount", r[16].as<std::string>()},
                                    {"addTime", ts_json(r[17])},
                                    {"confirmTime", ts_json(r[18])},
                                    {"payTime", ts_json(r[19])},
                                    {"shippingTime", ts_json(r[20])},
                                    {"finishTime", ts_json(r[21])}});
  });
  if (!r) return app::unavailable(r.error());
  if (!*r) return reply(shop_code::SHOP_ORDER_NOT_FOUND);
  return reply(shop_code::SHOP_SUCCESS, **r);
}

http::response order_service::get_steps(int64_t order_id) {
  auto r = db_.query([&](pqxx::transaction_base& tx) -> mq::result<std::optional<json>> {
    if (db::exec(tx, "SELECT 1 FROM trade_order WHERE order_id = $1", order_id).empty()) return std::optional<json>();
    json steps = json::array();
    for (const auto& row : db::exec(tx, 
             "SELECT seq, step, " ISO_UTC("at") " FROM order_step_log WHERE order_id = $1 ORDER BY seq", order_id))
      steps.push_back({{"seq", row[0].as<int>()}, {"step", row[1].as<std::string>()}, {"at", ts(row[2])}});
    return std::optional<json>(std::move(steps));
  });
  if (!r) return app::unavailable(r.error());
  if (!*r) return reply(shop_code::SHOP_ORDER_NOT_FOUND);
  return reply(shop_code::SHOP_SUCCESS, **r);
}

http::response order_service::ship_or_finish(int64_t order_id, bool finish) {
  struct outcome {
    shop_code code = shop_code::SHOP_SUCCESS;
    bool repeated = false;
  };
  auto r = db_.transact([&](pqxx::work& tx) -> mq::result<outcome> {
    outcome out;
    auto rows = db::exec(tx, 
        "SELECT order_status, pay_status, shipping_status FROM trade_order WHERE order_id = $1 FOR UPDATE", order_id);
    if (rows.empty()) {
      out.code = shop_code::SHOP_ORDER_NOT_FOUND;
      return out;
    }
    int os = rows[0][0].as<int>(), ps = rows[0][1].as<int>(), ss = rows[0][2].as<int>();
    int want = finish ? shipping_status::shipped : shipping_status::no_ship;  // the state it moves from
    if (ss == want + 1) {
      out.repeated = true;
      return out;
    }
    if (os != order_status::confirmed || ps != pay_status::paid || ss != want) {
      out.code = shop_code::SHOP_ORDER_STATUS_INVALID;
      return out;
    }
    db::exec(tx, finish ? "UPDATE trade_order SET shipping_status = 2, finish_time = now() WHERE order_id = $1"
                          : "UPDATE trade_order SET shipping_status = 1, shipping_time = now() WHERE order_id = $1",
                   order_id);
    enqueue_step(tx, order_id, finish ? "finished" : "shipped");
    return out;
  });
  if (!r) return app::unavailable(r.error());
  if (r->code != shop_code::SHOP_SUCCESS) {
    if (r->code == shop_code::SHOP_ORDER_STATUS_INVALID)
      return reply(r->code, nullptr,
                   finish ? "only a shipped order can be finished" : "only a confirmed, paid, unshipped order can be shipped");
    return reply(r->code);
  }
  if (!r->repeated) {
    kick_();
    spdlog::info("order {}: {}", order_id, finish ? "finished" : "shipped");
  }
  return reply(shop_code::SHOP_SUCCESS, json{{"orderId", std::to_string(order_id)},
                                             {"shippingStatus", finish ? 2 : 1},
                                             {"repeated", r->repeated}});
}

mq::status order_service::on_cancel(pqxx::work& tx, const mq::message_ext& m) {
  json body;
  auto id = order_id_of(m, &body);
  if (!id) {
    spdlog::error("order_cancel {} ignored: {}", m.msg_id, id.error().message);
    return mq::status::success();
  }
  auto rows = db::exec(tx, "SELECT order_status, pay_status FROM trade_order WHERE order_id = $1 FOR UPDATE", *id);
  if (rows.empty()) {
    spdlog::warn("order_cancel {}: order {} unknown", m.msg_id, *id);
    return mq::status::success();
  }
  int os = rows[0][0].as<int>(), ps = rows[0][1].as<int>();
  if (os == order_status::cancelled) return mq::status::success();  // the usual case: cancelled when enqueued
  if (os == order_status::no_confirm || (os == order_status::confirmed && ps != pay_status::paid)) {
    // A cancel this service did not write (an operator's): the other services
    // compensate on the same message; this one records the cancellation.
    db::exec(tx, "UPDATE trade_order SET order_status = 2 WHERE order_id = $1", *id);
    enqueue_step(tx, *id, "cancelled");
    spdlog::warn("order {}: cancelled by order_cancel {}", *id, m.msg_id);
    return mq::status::success();
  }
  spdlog::error("order_cancel {} for order {} in status {} / pay {} not applied", m.msg_id, *id, os, ps);
  return mq::status::success();
}

mq::status order_service::on_check(pqxx::work& tx, const mq::message_ext& m) {
  json body;
  auto id = order_id_of(m, &body);
  if (!id) {
    spdlog::error("order check {} ignored: {}", m.msg_id, id.error().message);
    return mq::status::success();
  }
  if (!cancel_unconfirmed(tx, *id, true, "the delayed order check found it unconfirmed"))
    spdlog::debug("order {}: delayed check: nothing to do", *id);
  return mq::status::success();
}

mq::status order_service::on_paid(pqxx::work& tx, const mq::message_ext& m) {
  json body;
  auto id = order_id_of(m, &body);
  if (!id) {
    spdlog::error("paid message {} ignored: {}", m.msg_id, id.error().message);
    return mq::status::success();
  }
  auto upd = db::exec(tx, 
      "UPDATE trade_order SET pay_status = 2, pay_time = now() WHERE order_id = $1 AND pay_status <> 2 RETURNING order_status",
      *id);
  if (upd.empty()) return mq::status::success();  // unknown order, or already paid
  enqueue_step(tx, *id, "paid");
  spdlog::info("order {}: paid (payment {})", *id, body.value("payId", std::string("?")));
  return mq::status::success();
}

std::optional<messaging::effect_statement> order_service::on_step(const mq::message_ext& m) {
  json body;
  auto id = order_id_of(m, &body);
  std::string step = body.is_object() ? body.value("step", std::string()) : std::string();
  bool known = false;
  for (auto* s : step_names) known = known || step == s;
  if (!id || !known) {
    spdlog::error("order step {} ignored: malformed body", m.msg_id);
    return std::nullopt;
  }
  // The next seq of the order, in the claim's statement ($4 is the msg id).
  return messaging::effect_statement{
      "INSERT INTO order_step_log (order_id, seq, step, at, msg_id) "
      "SELECT $6::bigint, coalesce(max(seq), 0) + 1, $7, coalesce(nullif($8, '')::timestamptz, now()), $4 "
      "FROM order_step_log WHERE order_id = $6::bigint HAVING EXISTS (SELECT 1 FROM claim) "
      "ON CONFLICT (order_id, step) DO NOTHING",
      {std::to_string(*id), step, body.value("at", std::string())}};
}

void order_service::register_routes(http::router& r) {
  r.add("POST", "/order/confirm", [this](http::request& req) {
    return app::with_idempotency_key(db_, req, [&] { return app::with_input([&] { return confirm(req); }); });
  });
  r.add("GET", "/order/{id}", [this](http::request& req) { return app::with_input([&] { return get_order(app::path_id(req)); }); });
  r.add("GET", "/order/{id}/steps",
        [this](http::request& req) { return app::with_input([&] { return get_steps(app::path_id(req)); }); });
  r.add("POST", "/order/{id}/ship",
        [this](http::request& req) { return app::with_input([&] { return ship_or_finish(app::path_id(req), false); }); });
  r.add("POST", "/order/{id}/finish",
        [this](http::request& req) { return app::with_input([&] { return ship_or_finish(app::path_id(req), true); }); });
}

}  // namespace shop::order
