#include "pay.h"

#include <spdlog/spdlog.h>

#include "shop/app/api.h"
#include "shop/app/idempotency.h"
#include "mq/common/message_const.h"

namespace shop::pay {

using app::reply;
using mq::client::local_transaction_state;
using nlohmann::json;

namespace {
#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
}  // namespace

pay_service::pay_service(db::pool& db, id_worker& ids, const fault_plan& faults, pay_config cfg)
    : db_(db), ids_(ids), faults_(faults), cfg_(std::move(cfg)) {
  http::client_options co;
  co.request_timeout = cfg_.call_timeout;
  co.connect_timeout = std::min(cfg_.call_timeout, std::chrono::milliseconds(1000));
  co.max_idle_per_host = 32;
  client_ = std::make_unique<http::client>(co);
}

pay_service::~pay_service() = default;

std::string pay_service::transaction_id_of(const mq::message& msg) {
  if (auto* t = msg.property("__transactionId__"); t && !t->empty()) return *t;
  if (auto* u = msg.property(mq::property_uniq_client_message_id_keyidx); u) return *u;
  return {};
}

local_transaction_state pay_service::execute_local_transaction(const mq::message& msg, const std::any& arg) {
  auto* out = std::any_cast<pay_attempt*>(arg);
  std::string txid = transaction_id_of(msg);
  if (faults_.hit("pay_after_half_message")) {
    out->unknown = true;
    out->error = "injected fault pay_after_half_message";
    return local_transaction_state::UNKNOW;
  }
  auto r = db_.transact([&](pqxx::work& tx) -> mq::result<shop_code> {
    auto fenced = db::exec(tx, 
        "INSERT INTO tx_log (transaction_id, pay_id, state) VALUES ($1, $2, 1) ON CONFLICT DO NOTHING RETURNING 1", txid,
        out->pay_id);
    if (fenced.empty()) return mq::status::error(mq::errc::busy, "fenced");  // the check-back rolled it back first
    auto upd = db::exec(tx, 
        "UPDATE trade_pay SET is_paid = 2, pay_time = now() WHERE pay_id = $1 AND is_paid = 1 RETURNING order_id", out->pay_id);
    if (upd.empty()) return mq::status::error(mq::errc::invalid_argument, "already paid");
    return shop_code::SHOP_SUCCESS;
  });
  if (!r) {
    auto state = db::pool::sqlstate(r.error());
    if (r.error().message == "fenced") {
      out->code = shop_code::SHOP_SERVICE_UNAVAILABLE;
      out->error = "the broker's check rolled this payment message back first; retry the callback";
    } else if (r.error().message == "already paid") {
      out->code = shop_code::SHOP_PAYMENT_IS_PAID;
    } else if (state == "23505") {  // trade_pay_one_paid_per_order: another payment of the order won
      out->code = shop_code::SHOP_ORDER_PAY_STATUS_IS_PAY;
    } else {
      // Connection lost, perhaps during COMMIT: the outcome is unknown here;
      // the check-back answers from tx_log.
      out->unknown = true;
      out->error = r.error().message;
      spdlog::warn("payment {}: local transaction {} outcome unknown: {}", out->pay_id, txid, r.error().message);
      return local_transaction_state::UNKNOW;
    }
    spdlog::info("payment {}: local transaction {} rolled back ({})", out->pay_id, txid, info(out->code).name);
    return local_transaction_state::ROLLBACK_MESSAGE;
  }
  spdlog::info("payment {}: paid; local transaction {} committed", out->pay_id, txid);
  if (faults_.hit("pay_after_local_commit")) {
    out->unknown = true;
    return local_transaction_state::UNKNOW;
  }
  return local_transaction_state::COMMIT_MESSAGE;
}

local_transaction_state pay_service::check_local_transaction(const mq::message_ext& msg) {
  std::string txid = transaction_id_of(msg);
  if (txid.empty()) return local_transaction_state::UNKNOW;
  std::string pay_key = msg.keys().empty() ? "" : msg.keys().front();
  auto pay_id = id_from_text(pay_key, "payId");
  auto r = db_.transact([&](pqxx::work& tx) -> mq::result<int> {
    // A local transaction still running holds the key: wait for it, briefly.
    tx.exec("SET LOCAL lock_timeout = '2s'");
    db::exec(tx, "INSERT INTO tx_log (transaction_id, pay_id, state) VALUES ($1, $2, 2) ON CONFLICT DO NOTHING", txid,
                   pay_id ? *pay_id : 0);
    return db::exec1(tx, "SELECT state FROM tx_log WHERE transaction_id = $1", txid)[0].as<int>();
  });
  if (!r) {
    spdlog::warn("transaction check {}: {}; answering UNKNOW", txid, r.error().message);
    return local_transaction_state::UNKNOW;
  }
  auto st = *r == 1 ? local_transaction_state::COMMIT_MESSAGE : local_transaction_state::ROLLBACK_MESSAGE;
  spdlog::info("transaction check {} (payment {}): {}", txid, pay_key, *r == 1 ? "COMMIT" : "ROLLBACK");
  return st;
}

http::response pay_service::create_payment(const http::request& req) {
  auto body = app::json_body(req);
  int64_t order_id = app::need_id(body, "orderId");
  money amount = app::need_money(body, "payAmount");
  if (amount.negative()) throw app::bad_input{"payAmount must not be negative"};
  auto r = client_->get(cfg_.order_url, "/order/" + std::to_string(order_id));
  if (!r) return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "order service: " + r.error().message);
  auto j = json::parse(r->body, nullptr, false);
  if (r->status == 404) return reply(shop_code::SHOP_ORDER_NOT_FOUND);
  if (r->status != 200 || !j.is_object() || !j.value("success", false) || !j["data"].is_object())
    return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "order service: HTTP " + std::to_string(r->status));
  auto& o = j["data"];
  if (o.value("orderStatus", -1) != order_status::confirmed)
    return reply(shop_code::SHOP_ORDER_STATUS_INVALID, nullptr, "only a confirmed order can be paid");
  if (o.value("payStatus", -1) == pay_status::paid) return reply(shop_code::SHOP_ORDER_PAY_STATUS_IS_PAY);
  auto due = money::from_json(o.value("payAmount", json()));
  auto user = id_from_json(o.value("userId", json()), "userId");
  if (!due || !user) return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "malformed answer from the order service");
  if (*due != amount) return reply(shop_code::SHOP_PAYMENT_AMOUNT_INVALID, nullptr, "payAmount must be " + due->str());
  auto id = ids_.next();
  if (!id) return app::unavailable(id.error());
  auto saved = db_.transact([&](pqxx::work& tx) -> mq::result<bool> {
    if (!db::exec(tx, "SELECT 1 FROM trade_pay WHERE order_id = $1 AND is_paid = 2", order_id).empty()) return false;
    db::exec(tx, "INSERT INTO trade_pay (pay_id, order_id, user_id, pay_amount, is_paid) VALUES ($1, $2, $3, $4::numeric, 1)",
                   *id, order_id, *user, amount.str());
    return true;
  });
  if (!saved) return app::unavailable(saved.error());
  if (!*saved) return reply(shop_code::SHOP_ORDER_PAY_STATUS_IS_PAY);
  spdlog::info("payment {}: created for order {} ({})", *id, order_id, amount.str());
  return reply(shop_code::SHOP_SUCCESS, json{{"payId", std::to_string(*id)}, {"orderId", std::to_string(order_id)},
                                             {"payAmount", amount.str()}, {"isPaid", trade_pay_state::not_paid}});
}

http::response pay_service::callback_payment(const http::request& req) {
  auto body = app::json_body(req);
  int64_t pay_id = app::need_id(body, "payId");
  app::need_int(body, "isPaid", trade_pay_state::paid, trade_pay_state::paid);
  auto row = db_.query([&](pqxx::transaction_base& tx) -> mq::result<std::optional<json>> {
    auto rows = db::exec(tx, "SELECT order_id, user_id, pay_amount::text, is_paid FROM trade_pay WHERE pay_id = $1", pay_id);
    if (rows.empty()) return std::optional<json>();
    return std::optional<json>(json{{"payId", std::to_string(pay_id)},
                                    {"orderId", std::to_string(rows[0][0].as<int64_t>())},
                                    {"userId", std::to_string(rows[0][1].as<int64_t>())},
                                    {"payAmount", rows[0][2].as<std::string>()},
                                    {"isPaid", rows[0][3].as<int>()}});
  });
  if (!row) return app::unavailable(row.error());
  if (!*row) return reply(shop_code::SHOP_PAYMENT_NOT_FOUND);
  json& p = **row;
  if (p["isPaid"] == trade_pay_state::paid) return reply(shop_code::SHOP_PAYMENT_IS_PAID);
  if (!producer_) return reply(shop_code::SHOP_MQ_SEND_MESSAGE_FAIL, nullptr, "no producer");

  mq::message m;
  m.topic = cfg_.pay_topic;
  m.set_tags(cfg_.paid_tag);
  m.set_keys({std::to_string(pay_id)});
  json msg_body = p;
  msg_body.erase("isPaid");
  m.body = msg_body.dump();
  pay_attempt out;
  out.pay_id = pay_id;
  auto sent = producer_->send_message_in_transaction(m, std::any(&out));
  if (!sent) {
    spdlog::warn("payment {}: half message not sent: {}", pay_id, sent.error().message);
    return reply(shop_code::SHOP_MQ_SEND_MESSAGE_FAIL, nullptr, sent.error().message);
  }
  if (out.unknown) {
    // Unknown here; the database says whether it is paid (the broker's
    // check-back will settle the message from tx_log).
    auto paid = db_.transact([&](pqxx::work& tx) -> mq::result<int> {
      return db::exec1(tx, "SELECT is_paid FROM trade_pay WHERE pay_id = $1", pay_id)[0].as<int>();
    });
    if (!paid || *paid != trade_pay_state::paid)
      return reply(shop_code::SHOP_SERVICE_UNAVAILABLE, nullptr, "payment outcome unknown: " + out.error);
  } else if (out.code != shop_code::SHOP_SUCCESS) {
    return reply(out.code, nullptr, out.error);
  }
  p["isPaid"] = trade_pay_state::paid;
  p["msgId"] = sent->msg_id;
  return reply(shop_code::SHOP_SUCCESS, p);
}

http::response pay_service::get_payment(int64_t pay_id) {
  auto r = db_.query([&](pqxx::transaction_base& tx) -> mq::result<std::optional<json>> {
    auto rows = db::exec(tx, 
        "SELECT pay_id, order_id, user_id, pay_amount::text, is_paid, " ISO_UTC("create_time") ", " ISO_UTC("pay_time")
        " FROM trade_pay WHERE pay_id = $1",
        pay_id);
    if (rows.empty()) return std::optional<json>();
    auto& x = rows[0];
    return std::optional<json>(json{{"payId", std::to_string(x[0].as<int64_t>())},
                                    {"orderId", std::to_string(x[1].as<int64_t>())},
                                    {"userId", std::to_string(x[2].as<int64_t>())},
                                    {"payAmount", x[3].as<std::string>()},
                                    {"isPaid", x[4].as<int>()},
                                    {"createTime", x[5].as<std::string>()},
                                    {"payTime", x[6].is_null() ? json() : json(x[6].as<std::string>())}});
  });
  if (!r) return app::unavailable(r.error());
  if (!*r) return reply(shop_code::SHOP_PAYMENT_NOT_FOUND);
  return reply(shop_code::SHOP_SUCCESS, **r);
}

void pay_service::register_routes(http::router& r) {
  r.add("POST", "/pay/createPayment", [this](http::request& req) {
    return app::with_idempotency_key(db_, req, [&] { return app::with_input([&] { return create_payment(req); }); });
  });
  r.add("POST", "/pay/callbackPayment", [this](http::request& req) {
    return app::with_idempotency_key(db_, req, [&] { return app::with_input([&] { return callback_payment(req); }); });
  });
  r.add("GET", "/pay/{id}", [this](http::request& req) { return app::with_input([&] { return get_payment(app::path_id(req)); }); });
}

}  // namespace shop::pay
