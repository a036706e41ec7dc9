// The pay service's local transaction and check-back against a private
// PostgreSQL (no broker: the listener is called as the transaction producer
// and the broker's check would call it), and its HTTP refusals.
#include "pay.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mq/common/message_const.h"
#include "pg_fixture.h"
#include "service_env.h"

namespace shop::pay {
namespace {

using mq::client::local_transaction_state;
using nlohmann::json;

struct pay_env {
  fault_plan faults;
  std::unique_ptr<id_worker> ids = std::move(*id_worker::make(9));
  pay_service* svc = nullptr;
  std::unique_ptr<app::test::service_env> env;
  pay_env() {
    env = std::make_unique<app::test::service_env>("shop_pay", "pay", [this](db::pool& db, http::router& r) {
      pay_config cfg;
      cfg.order_url = "127.0.0.1:1";  // nothing listens: createPayment answers 503
      cfg.call_timeout = std::chrono::milliseconds(500);
      auto s = std::make_shared<pay_service>(db, *ids, faults, cfg);
      s->register_routes(r);
      svc = s.get();
      return s;
    });
  }
  int64_t payment(int64_t order) {
    int64_t id = *ids->next();
    env->sql("INSERT INTO trade_pay (pay_id, order_id, user_id, pay_amount, is_paid) VALUES (" + std::to_string(id) + ", " +
             std::to_string(order) + ", 1, 10.00, 1)");
    return id;
  }
};

// The local copy of a half message, as the transaction producer passes it.
mq::message local_half(const std::string& txid) {
  mq::message m;
  m.put_property("__transactionId__", txid);
  return m;
}
// The half message as the broker's check-back shows it.
mq::message_ext checked_half(const std::string& txid, int64_t pay_id) {
  mq::message_ext m;
  m.put_property(std::string(mq::property_uniq_client_message_id_keyidx), txid);
  m.set_keys({std::to_string(pay_id)});
  return m;
}

local_transaction_state execute(pay_service& s, const std::string& txid, pay_attempt& a) {
  return s.execute_local_transaction(local_half(txid), std::any(&a));
}

TEST(Pay, TransactionIdsOfTheLocalCopyAndTheCheckedMessageAgree) {
  EXPECT_EQ(pay_service::transaction_id_of(local_half("T1")), "T1");
  EXPECT_EQ(pay_service::transaction_id_of(checked_half("T1", 5)), "T1");
}

TEST(Pay, TheLocalTransactionPaysOnceAndTheCheckAnswersFromTxLog) {
  pay_env e;
  int64_t p = e.payment(1001);
  pay_attempt a{p};
  EXPECT_EQ(execute(*e.svc, "TX-A", a), local_transaction_state::COMMIT_MESSAGE);
  EXPECT_EQ(a.code, shop_code::SHOP_SUCCESS);
  EXPECT_EQ(e.env->scalar("SELECT is_paid FROM trade_pay WHERE pay_id = " + std::to_string(p)), 2);
  EXPECT_EQ(e.svc->check_local_transaction(checked_half("TX-A", p)), local_transaction_state::COMMIT_MESSAGE);
  // A second callback (another half message): rolled back, already paid.
  pay_attempt b{p};
  EXPECT_EQ(execute(*e.svc, "TX-B", b), local_transaction_state::ROLLBACK_MESSAGE);
  EXPECT_EQ(b.code, shop_code::SHOP_PAYMENT_IS_PAID);
  EXPECT_EQ(e.svc->check_local_transaction(checked_half("TX-B", p)), local_transaction_state::ROLLBACK_MESSAGE);
  // Another payment of the same order: the one-paid-per-order index refuses it.
  int64_t p2 = e.payment(1001);
  pay_attempt c{p2};
  EXPECT_EQ(execute(*e.svc, "TX-C", c), local_transaction_state::ROLLBACK_MESSAGE);
  EXPECT_EQ(c.code, shop_code::SHOP_ORDER_PAY_STATUS_IS_PAY);
  EXPECT_EQ(e.env->scalar("SELECT is_paid FROM trade_pay WHERE pay_id = " + std::to_string(p2)), 1);
}

TEST(Pay, TheCheckFencesATransactionItNeverSawSoALateOneFails) {
  pay_env e;
  int64_t p = e.payment(1002);
  EXPECT_EQ(e.svc->check_local_transaction(checked_half("TX-LATE", p)), local_transaction_state::ROLLBACK_MESSAGE);
  EXPECT_EQ(e.env->scalar("SELECT state FROM tx_log WHERE transaction_id = 'TX-LATE'"), 2);
  pay_attempt a{p};
  EXPECT_EQ(execute(*e.svc, "TX-LATE", a), local_transaction_state::ROLLBACK_MESSAGE);
  EXPECT_EQ(a.code, shop_code::SHOP_SERVICE_UNAVAILABLE);  // the client retries with a new half message
  EXPECT_EQ(e.env->scalar("SELECT is_paid FROM trade_pay WHERE pay_id = " + std::to_string(p)), 1);
  EXPECT_EQ(e.svc->check_local_transaction(checked_half("TX-LATE", p)), local_transaction_state::ROLLBACK_MESSAGE);
  pay_attempt b{p};
  EXPECT_EQ(execute(*e.svc, "TX-RETRY", b), local_transaction_state::COMMIT_MESSAGE);
}

TEST(Pay, ACheckDuringTheLocalTransactionWaitsForItsOutcome) {
  pay_env e;
  int64_t p = e.payment(1003);
  // Hold the tx_log key as a running local transaction would.
  pqxx::connection c(db::test::pg_server::instance().shop_url("shop_pay"));
  pqxx::work tx(c);
  tx.exec("SET search_path = pay");
  tx.exec_params("INSERT INTO tx_log (transaction_id, pay_id, state) VALUES ('TX-RUN', $1, 1)", p);
  std::atomic<int> answer{-1};
  std::thread checker([&] { answer = static_cast<int>(e.svc->check_local_transaction(checked_half("TX-RUN", p))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(answer.load(), -1);  // waiting on the key
  tx.commit();
  checker.join();
  EXPECT_EQ(answer.load(), static_cast<int>(local_transaction_state::COMMIT_MESSAGE));
  // A local transaction that holds the key past lock_timeout (2 s): UNKNOW, the broker asks again.
  pqxx::work tx2(c);
  tx2.exec("SET search_path = pay");
  tx2.exec_params("INSERT INTO tx_log (transaction_id, pay_id, state) VALUES ('TX-SLOW', $1, 1)", p);
  EXPECT_EQ(e.svc->check_local_transaction(checked_half("TX-SLOW", p)), local_transaction_state::UNKNOW);
  tx2.abort();
}

TEST(Pay, ConcurrentCallbacksHaveExactlyOneWinner) {
  pay_env e;
  int64_t p = e.payment(1004);
  std::atomic<int> commits{0}, paid{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&, i] {
      pay_attempt a{p};
      if (execute(*e.svc, "TX-RACE-" + std::to_string(i), a) == local_transaction_state::COMMIT_MESSAGE) commits++;
      else if (a.code == shop_code::SHOP_PAYMENT_IS_PAID) paid++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(commits.load(), 1);
  EXPECT_EQ(paid.load(), 7);
  EXPECT_EQ(e.env->scalar("SELECT count(*) FROM tx_log WHERE pay_id = " + std::to_string(p) + " AND state = 1"), 1);
}

TEST(Pay, HttpRefusals) {
  pay_env e;
  auto [s1, j1] = e.env->post("/pay/callbackPayment", R"({"payId":"123","isPaid":2})");
  EXPECT_EQ(s1, 404);
  EXPECT_EQ(j1["code"], 6002);
  int64_t p = e.payment(1005);
  e.env->sql("UPDATE trade_pay SET is_paid = 2 WHERE pay_id = " + std::to_string(p));
  auto [s2, j2] = e.env->post("/pay/callbackPayment", json{{"payId", std::to_string(p)}, {"isPaid", 2}}.dump());
  EXPECT_EQ(s2, 409);
  EXPECT_EQ(j2["code"], 6003);
  auto [s3, j3] = e.env->post("/pay/callbackPayment", R"({"payId":"123","isPaid":3})");
  EXPECT_EQ(s3, 400);
  auto [s4, j4] = e.env->post("/pay/createPayment", R"({"orderId":"123","payAmount":"1.00"})");
  EXPECT_EQ(s4, 503) << j4.dump();  // the order service is unreachable
  auto [s5, j5] = e.env->get("/pay/" + std::to_string(p));
  EXPECT_EQ(s5, 200);
  EXPECT_EQ(j5["data"]["isPaid"], 2);
  EXPECT_EQ(j5["data"]["payAmount"], "10.00");
}

}  // namespace
}  // namespace shop::pay
