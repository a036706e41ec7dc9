// The idempotent consumer and the outbox against a private PostgreSQL and
// our broker on loopback.
#include "shop/mq/idempotent_consumer.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "../../../mq/broker/tests/broker_fixture.h"
#include "mq/client/producer.h"
#include "mq/client/push_consumer.h"
#include "pg_fixture.h"
#include "shop/db/migrate.h"
#include "shop/mq/outbox.h"

#ifndef SHOP_SOURCE_DIR
#define SHOP_SOURCE_DIR "."
#endif

namespace shop::messaging {
namespace {

using namespace std::chrono_literals;
using db::test::pg_server;

// A database with schema "svc": the common messaging tables and an effects table.
struct service_db {
  std::string name;
  std::unique_ptr<db::pool> pool;
  service_db() {
    auto& pg = pg_server::instance();
    name = pg.create_database("shopmq");
    pg.psql("CREATE SCHEMA svc; CREATE TABLE svc.effects (k text PRIMARY KEY, n int NOT NULL)", name);
    pool = std::make_unique<db::pool>(db::pool_options{.url = pg.url(name), .schema = "svc", .size = 16});
    auto r = db::migrate(*pool, "svc", SHOP_SOURCE_DIR "/sql/common");
    if (!r) throw std::runtime_error(r.error().message);
  }
  int effects(const std::string& k) {
    auto r = pool->transact([&](pqxx::work& tx) -> ::mq::result<int> {
      auto rows = tx.exec_params("SELECT n FROM effects WHERE k = $1", k);
      return rows.empty() ? 0 : rows[0][0].as<int>();
    });
    return r ? *r : -1;
  }
  std::pair<int, int> log_row(const std::string& group, const std::string& tag, const std::string& key) {
    auto r = pool->transact([&](pqxx::work& tx) -> ::mq::result<std::pair<int, int>> {
      auto rows = tx.exec_params(
          "SELECT consumer_status, consumer_times FROM mq_consumer_log WHERE group_name=$1 AND msg_tag=$2 AND msg_key=$3",
          group, tag, key);
      if (rows.empty()) return std::pair<int, int>{-1, 0};
      return std::pair<int, int>{rows[0][0].as<int>(), rows[0][1].as<int>()};
    });
    return r ? *r : std::pair<int, int>{-2, 0};
  }
};

::mq::status add_effect(pqxx::work& tx, const ::mq::message_ext& m) {
  tx.exec_params("INSERT INTO effects VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = effects.n + 1", m.body);
  return ::mq::status::success();
}

::mq::message_ext msg(const std::string& tag, const std::string& key, const std::string& body) {
  ::mq::message_ext m;
  m.topic = "orderTopic";
  m.set_tags(tag);
  m.set_keys({key});
  m.body = body;
  m.msg_id = "ID-" + key;
  return m;
}

TEST(IdempotentConsumer, FiveConcurrentDeliveriesApplyOnce) {
  service_db d;
  idempotent_handler h(*d.pool, "g1", add_effect);
  std::vector<std::thread> ts;
  std::atomic<int> applied{0}, dup{0};
  for (int i = 0; i < 5; ++i)
    ts.emplace_back([&] {
      auto o = h.handle(msg("order_cancel", "order-1", "e1"));
      (o == outcome::applied ? applied : dup)++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(dup.load(), 4);
  EXPECT_EQ(d.effects("e1"), 1);
  EXPECT_EQ(d.log_row("g1", "order_cancel", "order-1").first, 1);
  // Another group or tag is another key.
  idempotent_handler other(*d.pool, "g2", add_effect);
  EXPECT_EQ(other.handle(msg("order_cancel", "order-1", "e1")), outcome::applied);
  EXPECT_EQ(h.handle(msg("paid", "order-1", "e1")), outcome::applied);
  EXPECT_EQ(d.effects("e1"), 3);
}

TEST(IdempotentConsumer, AFailingHandlerIsRecordedAndRetriedOnce) {
  service_db d;
  std::atomic<int> calls{0};
  idempotent_handler h(*d.pool, "g", [&](pqxx::work& tx, const ::mq::message_ext& m) -> ::mq::status {
    add_effect(tx, m);  // the effect is written, then the handler fails: it must be rolled back
    if (calls++ < 2) throw std::runtime_error("downstream unavailable");
    return ::mq::status::success();
  });
  auto m = msg("order_cancel", "order-9", "e9");
  EXPECT_EQ(h.handle(m), outcome::failed);
  EXPECT_EQ(d.effects("e9"), 0);
  EXPECT_EQ(d.log_row("g", "order_cancel", "order-9"), (std::pair<int, int>{2, 1}));
  EXPECT_EQ(h.handle(m), outcome::failed);
  EXPECT_EQ(d.log_row("g", "order_cancel", "order-9"), (std::pair<int, int>{2, 2}));
  EXPECT_EQ(h.handle(m), outcome::applied);
  EXPECT_EQ(h.handle(m), outcome::duplicate);
  EXPECT_EQ(d.effects("e9"), 1);
  EXPECT_EQ(d.log_row("g", "order_cancel", "order-9").first, 1);
}

// The one-statement form: claim and effect in one autocommitted statement.
std::optional<effect_statement> add_effect_statement(const ::mq::message_ext& m) {
  if (m.body == "malformed") return std::nullopt;
  return effect_statement{"INSERT INTO effects SELECT $6, 1 WHERE EXISTS (SELECT 1 FROM claim) "
                          "ON CONFLICT (k) DO UPDATE SET n = effects.n + 1",
                          {m.body}};
}

TEST(IdempotentConsumer, OneStatementHandlerAppliesOnceUnderConcurrentDeliveries) {
  service_db d;
  idempotent_handler h(*d.pool, "gs", add_effect_statement);
  std::vector<std::thread> ts;
  std::atomic<int> applied{0}, dup{0};
  for (int i = 0; i < 6; ++i)
    ts.emplace_back([&] {
      auto o = h.handle(msg("step", "order-s", "es"));
      (o == outcome::applied ? applied : dup)++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(dup.load(), 5);
  EXPECT_EQ(d.effects("es"), 1);
  EXPECT_EQ(d.log_row("gs", "step", "order-s"), (std::pair<int, int>{1, 1}));
  // Another key applies; a malformed message is claimed with no effect, once.
  EXPECT_EQ(h.handle(msg("step", "order-t", "es")), outcome::applied);
  EXPECT_EQ(d.effects("es"), 2);
  EXPECT_EQ(h.handle(msg("step", "order-m", "malformed")), outcome::applied);
  EXPECT_EQ(h.handle(msg("step", "order-m", "malformed")), outcome::duplicate);
  EXPECT_EQ(d.effects("malformed"), 0);
  // A statement that fails (here: a NULL key) is recorded as a failure and changes nothing.
  idempotent_handler bad(*d.pool, "gb", [](const ::mq::message_ext&) -> std::optional<effect_statement> {
    return effect_statement{"INSERT INTO effects SELECT NULL, 1 WHERE EXISTS (SELECT 1 FROM claim)", {}};
  });
  EXPECT_EQ(bad.handle(msg("step", "order-b", "eb")), outcome::failed);
  EXPECT_EQ(d.log_row("gb", "step", "order-b"), (std::pair<int, int>{2, 1}));
}

TEST(IdempotentConsumer, SigkillMidTransactionThenRestartAppliesOnce) {
  service_db d;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The "service": applies the effect, then hangs before commit.
    db::pool p({.url = pg_server::instance().url(d.name), .schema = "svc", .size = 1});
    idempotent_handler h(p, "g", [&](pqxx::work& tx, const ::mq::message_ext& m) -> ::mq::status {
      add_effect(tx, m);
      char c = 1;
      (void)!::write(ready[1], &c, 1);
      ::sleep(30);
      return ::mq::status::success();
    });
    h.handle(msg("order_cancel", "order-k", "ek"));
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::kill(child, SIGKILL);
  int wst;
  ::waitpid(child, &wst, 0);
  // The killed transaction left nothing (PostgreSQL aborts it when the connection drops).
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(d.effects("ek"), 0);
  // Redelivery after the restart applies it exactly once.
  idempotent_handler h(*d.pool, "g", add_effect);
  EXPECT_EQ(h.handle(msg("order_cancel", "order-k", "ek")), outcome::applied);
  EXPECT_EQ(h.handle(msg("order_cancel", "order-k", "ek")), outcome::duplicate);
  EXPECT_EQ(d.effects("ek"), 1);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(Outbox, RelayPublishesAndSurvivesABrokerOutage) {
  service_db d;
  ::mq::broker::test::cluster c;
  c.create_topic("orderTopic", 2);
  ::mq::client::producer_options po;
  po.namesrv_addr = c.ns_addr();
  po.group = "outbox_pg";
  po.send_timeout = 1s;
  ::mq::client::producer p(po);
  ASSERT_TRUE(p.start().ok());

  // A consumer that applies through the idempotent handler.
  idempotent_handler h(*d.pool, "cancel_group", add_effect);
  ::mq::client::consumer_options co;
  co.namesrv_addr = c.ns_addr();
  co.group = "cancel_group";
  co.from_where = ::mq::client::consume_from_where::CONSUME_FROM_FIRST_OFFSET;
  co.rebalance_interval = 1s;
  co.poll_name_server_interval = 1s;  // the restarted broker listens on a new port
  ::mq::client::push_consumer cons(co);
  ASSERT_TRUE(cons.subscribe("orderTopic", "order_cancel").ok());
  cons.register_listener(h.listener());
  ASSERT_TRUE(cons.start().ok());

  outbox_relay relay(*d.pool, p, {.poll_interval = 100ms, .retry_after_failure = 200ms});
  auto enqueue = [&](const std::string& key, const std::string& body) {
    auto st = d.pool->transact([&](pqxx::work& tx) -> ::mq::status {
      outbox_enqueue(tx, "order_group", {"orderTopic", "order_cancel", key, body});
      return ::mq::status::success();
    });
    ASSERT_TRUE(st.ok()) << st.message;
  };
  enqueue("o1", "c1");
  enqueue("o2", "c2");
  relay.start();
  auto wait_effect = [&](const std::string& k, std::chrono::milliseconds t) {
    auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
      if (d.effects(k) >= 1) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_effect("c1", 20s));
  ASSERT_TRUE(wait_effect("c2", 20s));

  // Broker down: the row stays pending and is published when it returns.
  c.crash_broker();
  enqueue("o3", "c3");
  relay.kick();
  std::this_thread::sleep_for(1500ms);
  auto pending = d.pool->transact([&](pqxx::work& tx) -> ::mq::result<int> {
    return tx.exec1("SELECT count(*) FROM mq_producer_temp WHERE msg_status = 0")[0].as<int>();
  });
  EXPECT_EQ(*pending, 1);
  c.start_broker();
  ASSERT_TRUE(wait_effect("c3", 40s));
  EXPECT_EQ(d.effects("c1"), 1);
  EXPECT_EQ(d.effects("c3"), 1);
  relay.stop();
  cons.shutdown();
}

}  // namespace
}  // namespace shop::messaging
