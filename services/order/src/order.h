// The order service (shop.md "Order confirm", "Cancel compensation",
// "Ordered order-step queue"; port 8080).
//
// POST /order/confirm runs the seven steps: (1) check goods, user, price and
// stock over HTTP; (2) validate the amounts, coupon and balance, insert the
// pre-order (status 0) and, in the same transaction, the delayed order-check
// message in the outbox; (3) reduce stock, (4) use the coupon, (5) reduce the
// balance through the goods, coupon and user services; (6) confirm (status 0
// → 1) and, in the same transaction, enqueue the "created" step. A failure in
// 3–6 cancels the order (0 → 2) and enqueues the order_cancel event and the
// "cancelled" step in ONE transaction; the outbox relay publishes them, now
// or when the broker is back. If the process dies in 3–6, the delayed check
// finds the order still at 0 and runs the same cancellation.
//
// Every status change that publishes something does it through the outbox in
// the transaction that changes the status, under the order row's lock, so an
// order's steps are enqueued (and, by shard key, published to one queue) in
// the order they happened; a cancelled order never becomes confirmed.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "mq/common/message.h"
#include "mq/common/result.h"
#include "shop/common/fault_plan.h"
#include "shop/common/ids.h"
#include "shop/common/money.h"
#include "shop/common/shop_code.h"
#include "shop/db/pool.h"
#include "shop/http.h"
#include "shop/mq/idempotent_consumer.h"
#include "shop/mq/outbox.h"

namespace shop::order {

struct order_config {
  std::string goods_url = "127.0.0.1:8081";
  std::string coupon_url = "127.0.0.1:8082";
  std::string user_url = "127.0.0.1:8083";
  std::string order_topic = "orderTopic";
  std::string cancel_tag = "order_cancel";
  std::string check_tag = "order_check";
  std::string step_topic = "orderStepTopic";
  std::string producer_group = "order_producer_group";  // outbox rows and the relay's producer
  int check_delay_level = 14;  // broker delay level of the order check (10 min with the default levels)
  std::chrono::milliseconds call_timeout = std::chrono::seconds(3);
};

// The steps of an order's life, published to the step topic in order.
inline constexpr const char* step_names[] = {"created", "paid", "cancelled", "shipped", "finished"};

class order_service {
 public:
  // `kick` asks the outbox relay to publish now (called after commits that
  // enqueued something).
  order_service(db::pool& db, id_worker& ids, const fault_plan& faults, order_config cfg, std::function<void()> kick);
  ~order_service();

  void register_routes(http::router& r);

  // Consumers (run by shop::messaging::idempotent_handler, in its transaction).
  // order_cancel: the order becomes cancelled (0 or 1 → 2, not once paid).
  mq::status on_cancel(pqxx::work& tx, const mq::message_ext& m);
  // The delayed order check: an order still unconfirmed is cancelled with
  // the full compensation; any other state is left alone.
  mq::status on_check(pqxx::work& tx, const mq::message_ext& m);
  // payTopic/paid: pay_status 2 and pay_time, once; the "paid" step.
  mq::status on_paid(pqxx::work& tx, const mq::message_ext& m);
  // orderStepTopic (orderly): one order_step_log row per (order, step), seq
  // in consumption order; the claim and the row in one statement.
  static std::optional<messaging::effect_statement> on_step(const mq::message_ext& m);

  void kick() { kick_(); }

 private:
  struct confirm_input;
  struct order_row;
  http::response confirm(const http::request& req);
  http::response get_order(int64_t order_id);
  http::response get_steps(int64_t order_id);
  http::response ship_or_finish(int64_t order_id, bool finish);
  // Cancels `order_id` if it is still unconfirmed: status 2, the "cancelled"
  // step and (publish_cancel) the order_cancel event, all in `tx`. Returns
  // whether it changed the order.
  bool cancel_unconfirmed(pqxx::work& tx, int64_t order_id, bool publish_cancel, const std::string& why);
  http::response compensate(int64_t order_id, shop_code code, const std::string& why);
  // The outbox row of a step (ordered by the order id).
  messaging::outbox_message step_message(int64_t order_id, const std::string& step) const;
  void enqueue_step(pqxx::work& tx, int64_t order_id, const std::string& step);

  db::pool& db_;
  id_worker& ids_;
  const fault_plan& faults_;
  order_config cfg_;
  std::function<void()> kick_;
  std::unique_ptr<http::client> client_;
};

}  // namespace shop::order
