// The pay service (shop.md "Payment"; port 9090).
//
// createPayment asks the order service for the order (confirmed, its
// payAmount, its user) and inserts trade_pay (is_paid 1). callbackPayment
// sends a transactional half message (payTopic, tag paid, key payId); the
// local transaction writes the tx_log row (state 1) keyed by the message's
// transaction id and flips is_paid 1 → 2, in ONE database transaction, and
// the half message is committed or rolled back by its outcome. The broker's
// check-back answers from tx_log only: state 1 → COMMIT, state 2 → ROLLBACK;
// for a transaction never seen it first writes a fence row (state 2), so a
// local transaction that arrives later fails on the key instead of
// committing behind the broker's back; a local transaction still running
// holds the key, and the check waits for it (bounded by lock_timeout, then
// UNKNOW and the broker asks again).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "mq/client/producer.h"
#include "shop/common/fault_plan.h"
#include "shop/common/ids.h"
#include "shop/common/shop_code.h"
#include "shop/db/pool.h"
#include "shop/http.h"

namespace shop::pay {

struct pay_config {
  std::string order_url = "127.0.0.1:8080";
  std::string pay_topic = "payTopic";
  std::string paid_tag = "paid";
  std::chrono::milliseconds call_timeout = std::chrono::seconds(3);
};

// One callback's local transaction: the argument of
// send_message_in_transaction, filled in by execute_local_transaction.
struct pay_attempt {
  int64_t pay_id = 0;
  shop_code code = shop_code::SHOP_SUCCESS;  // the refusal, when rolled back
  bool unknown = false;                      // the database did not say (the check-back will)
  std::string error;
};

class pay_service : public mq::client::transaction_listener {
 public:
  pay_service(db::pool& db, id_worker& ids, const fault_plan& faults, pay_config cfg);
  ~pay_service() override;
  // The producer that sends the half messages (its listener is this object).
  void set_producer(mq::client::transaction_producer* p) { producer_ = p; }
  void register_routes(http::router& r);

  // `arg` is a pay_attempt*.
  mq::client::local_transaction_state execute_local_transaction(const mq::message& msg, const std::any& arg) override;
  mq::client::local_transaction_state check_local_transaction(const mq::message_ext& msg) override;

  // The transaction id of a half message (the local copy carries
  // __transactionId__, the broker's check-back the stored UNIQ_KEY; they
  // are the same id).
  static std::string transaction_id_of(const mq::message& msg);

 private:
  http::response create_payment(const http::request& req);
  http::response callback_payment(const http::request& req);
  http::response get_payment(int64_t pay_id);

  db::pool& db_;
  id_worker& ids_;
  const fault_plan& faults_;
  pay_config cfg_;
  std::unique_ptr<http::client> client_;
  mq::client::transaction_producer* producer_ = nullptr;
};

}  // namespace shop::pay
