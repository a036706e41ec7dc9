// Transactional messages end to end: our transactional producer against our
// broker's half/op topics, END_TRANSACTION and check-back.
#include "mq/client/producer.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "client_test_util.h"
#include "mq/client/admin.h"
#include <nlohmann/json.hpp>

namespace mq::client::test {
namespace {

namespace rc = remoting::response_code;

class listener : public transaction_listener {
 public:
  std::atomic<local_transaction_state> execute{local_transaction_state::COMMIT_MESSAGE};
  std::atomic<local_transaction_state> check{local_transaction_state::COMMIT_MESSAGE};
  std::atomic<int> checks{0};
  local_transaction_state execute_local_transaction(const message&, const std::any&) override { return execute.load(); }
  local_transaction_state check_local_transaction(const message_ext&) override {
    checks++;
    return check.load();
  }
};

// The messages of `topic` queue `q` (empty when none).
std::vector<message_ext> visible(cluster& c, const std::string& topic, int32_t q) {
  auto resp = c.pull("reader", topic, q, 0);
  return resp.code == rc::SUCCESS ? cluster::records(resp) : std::vector<message_ext>{};
}

transaction_producer_options tx_opts(const cluster& c) {
  transaction_producer_options o;
  o.namesrv_addr = c.ns_addr();
  o.group = "tx_pg";
  o.heartbeat_broker_interval = 500ms;  // the broker learns the producer (for checks) quickly
  return o;
}

TEST(Transactions, CommitIsVisibleOnceRollbackNever) {
  cluster c(broker::test::conf{{"transactionCheckInterval", "200"}, {"transactionTimeOut", "500"}});
  c.create_topic("tx_t", 1);
  listener l;
  transaction_producer p(tx_opts(c), &l);
  ASSERT_TRUE(p.start().ok());
  message_queue q0{"tx_t", "broker-a", 0};
  (void)q0;
  auto committed = p.send_message_in_transaction(make_msg("tx_t", "committed"), 0);
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_EQ(committed->local_state, local_transaction_state::COMMIT_MESSAGE);
  l.execute = local_transaction_state::ROLLBACK_MESSAGE;
  auto rolled = p.send_message_in_transaction(make_msg("tx_t", "rolled back"), 0);
  ASSERT_TRUE(rolled);
  ASSERT_TRUE(eventually([&] { return !visible(c, "tx_t", committed->queue.queue_id).empty(); }, 5s));
  std::this_thread::sleep_for(1500ms);  // past the check timeout: nothing else appears
  std::vector<message_ext> all;
  for (int q = 0; q < 1; ++q) {
    auto v = visible(c, "tx_t", q);
    all.insert(all.end(), v.begin(), v.end());
  }
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].body, "committed");
  EXPECT_EQ(*all[0].property("UNIQ_KEY"), committed->msg_id);
  EXPECT_EQ(l.checks.load(), 0);  // both were decided at once
}

TEST(Transactions, UnknownIsResolvedByTheCheck) {
  cluster c(broker::test::conf{{"transactionCheckInterval", "200"}, {"transactionTimeOut", "300"}});
  c.create_topic("tx_u", 1);
  listener l;
  l.execute = local_transaction_state::UNKNOW;
  l.check = local_transaction_state::COMMIT_MESSAGE;
  transaction_producer p(tx_opts(c), &l);
  ASSERT_TRUE(p.start().ok());
  auto r = p.send_message_in_transaction(make_msg("tx_u", "decided later"), 0);
  ASSERT_TRUE(r);
  EXPECT_TRUE(visible(c, "tx_u", 0).empty());  // not before the check
  ASSERT_TRUE(eventually([&] { return !visible(c, "tx_u", 0).empty(); }, 10s));
  EXPECT_GE(l.checks.load(), 1);
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(visible(c, "tx_u", 0).size(), 1u);  // committed once, checks stop
}

TEST(Transactions, ANewProducerOfTheGroupSettlesWhatADeadOneLeft) {
  cluster c(broker::test::conf{{"transactionCheckInterval", "200"}, {"transactionTimeOut", "300"}});
  c.create_topic("tx_k", 1);
  {
    listener dead;
    dead.execute = local_transaction_state::UNKNOW;
    transaction_producer p(tx_opts(c), &dead);
    ASSERT_TRUE(p.start().ok());
    ASSERT_TRUE(p.send_message_in_transaction(make_msg("tx_k", "orphan"), 0));
    // Gone before any check (as a killed producer: no END_TRANSACTION was sent for UNKNOW).
  }
  // The broker restarts with the half message pending, too.
  c.stop_broker();
  c.start_broker();
  listener fresh;
  fresh.check = local_transaction_state::COMMIT_MESSAGE;
  transaction_producer p2(tx_opts(c), &fresh);
  ASSERT_TRUE(p2.start().ok());
  // The producer is known to the broker by its heartbeat, once it has a route.
  ASSERT_TRUE(p2.send_message_in_transaction(make_msg("tx_k", "another"), 0));
  ASSERT_TRUE(eventually([&] {
    auto v = visible(c, "tx_k", 0);
    return v.size() >= 2;
  }, 15s));
  auto v = visible(c, "tx_k", 0);
  ASSERT_EQ(v.size(), 2u);
  std::set<std::string> bodies{v[0].body, v[1].body};
  EXPECT_TRUE(bodies.contains("orphan"));
  EXPECT_GE(fresh.checks.load(), 1);
}

TEST(Transactions, AProducerKilledWithSigkillAfterTheHalfMessageIsSettledByAnotherOne) {
  cluster c(broker::test::conf{{"transactionCheckInterval", "200"}, {"transactionTimeOut", "300"}});
  c.create_topic("tx_kill", 1);
  // The producer in its own process: half message sent, then SIGKILL.
  std::string cmd = std::string(MQ_TX_CHILD) + " " + c.ns_addr() + " tx_kill tx_pg";
  FILE* child = ::popen(("exec " + cmd).c_str(), "r");
  ASSERT_NE(child, nullptr);
  char line[256] = {0};
  ASSERT_NE(std::fgets(line, sizeof line, child), nullptr);
  std::string sent(line);
  ASSERT_EQ(sent.rfind("sent ", 0), 0u) << sent;
  auto space = sent.find(' ', 5);
  ASSERT_NE(space, std::string::npos) << sent;
  std::string msg_id = sent.substr(5, space - 5);
  pid_t pid = static_cast<pid_t>(std::stol(sent.substr(space + 1)));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ::pclose(child);
  EXPECT_TRUE(visible(c, "tx_kill", 0).empty());
  // A new producer of the group answers the check: the half message commits.
  listener fresh;
  fresh.check = local_transaction_state::COMMIT_MESSAGE;
  transaction_producer p(tx_opts(c), &fresh);
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(p.send(make_msg("tx_kill", "route warm-up")));  // gives it a route, so it heartbeats the broker
  ASSERT_TRUE(eventually([&] {
    for (auto& m : visible(c, "tx_kill", 0))
      if (*m.property("UNIQ_KEY") == msg_id) return true;
    return false;
  }, 15s));
  EXPECT_GE(fresh.checks.load(), 1);
}

TEST(Transactions, AnUnresolvedHalfMessageIsDiscardedAfterCheckMax) {
  cluster c(broker::test::conf{
      {"transactionCheckInterval", "200"}, {"transactionTimeOut", "300"}, {"transactionCheckMax", "2"}});
  c.create_topic("tx_max", 1);
  listener l;
  l.execute = local_transaction_state::UNKNOW;
  l.check = local_transaction_state::UNKNOW;
  transaction_producer p(tx_opts(c), &l);
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(p.send_message_in_transaction(make_msg("tx_max", "undecided"), 0));
  ASSERT_TRUE(eventually([&] { return l.checks.load() >= 2; }, 10s));
  std::this_thread::sleep_for(1500ms);  // several more check passes
  EXPECT_EQ(l.checks.load(), 2);        // at most transactionCheckMax, then discarded
  EXPECT_TRUE(visible(c, "tx_max", 0).empty());

  // mqadmin listHalfMessages shows it discarded; resumeCheckHalfMessage
  // brings it back, and this time the check commits it.
  client_options ao;
  ao.namesrv_addr = c.ns_addr();
  admin_client a(ao);
  ASSERT_TRUE(a.start().ok());
  namespace req = remoting::request_code;
  auto list = [&] {
    auto r = a.call(c.broker_addr(), remoting::remoting_command::request(req::LIST_HALF_MESSAGES));
    EXPECT_TRUE(r && r->code == 0);
    return r ? nlohmann::json::parse(r->body)["halfMessages"] : nlohmann::json::array();
  };
  auto halves = list();
  ASSERT_EQ(halves.size(), 1u) << halves.dump();
  EXPECT_EQ(halves[0]["topic"], "tx_max");
  EXPECT_EQ(halves[0]["discarded"], true);
  EXPECT_EQ(halves[0]["checkTimes"], 2);
  std::string id = halves[0]["offsetMsgId"];
  l.check = local_transaction_state::COMMIT_MESSAGE;
  auto resume = remoting::remoting_command::request(req::RESUME_CHECK_HALF_MESSAGE);
  resume.set("msgId", id);
  auto res = a.call(c.broker_addr(), resume);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->code, 0) << res->remark.value_or("");
  ASSERT_TRUE(eventually([&] { return visible(c, "tx_max", 0).size() == 1; }, 10s));
  EXPECT_EQ(visible(c, "tx_max", 0)[0].body, "undecided");
  ASSERT_TRUE(eventually([&] { return list().empty(); }, 5s));
  auto again = a.call(c.broker_addr(), resume);  // settled now: refused
  ASSERT_TRUE(again);
  EXPECT_NE(again->code, 0);
  EXPECT_NE(again->remark.value_or("").find("already committed or rolled back"), std::string::npos);
}

TEST(Transactions, RollbackByCheckAndClearErrors) {
  cluster c(broker::test::conf{{"transactionCheckInterval", "200"}, {"transactionTimeOut", "300"}});
  c.create_topic("tx_r", 1);
  listener l;
  l.execute = local_transaction_state::UNKNOW;
  l.check = local_transaction_state::ROLLBACK_MESSAGE;
  transaction_producer p(tx_opts(c), &l);
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(p.send_message_in_transaction(make_msg("tx_r", "never"), 0));
  ASSERT_TRUE(eventually([&] { return l.checks.load() >= 1; }, 10s));
  std::this_thread::sleep_for(800ms);
  EXPECT_TRUE(visible(c, "tx_r", 0).empty());
  EXPECT_EQ(l.checks.load(), 1);  // rolled back by the first check; no more checks
  // A delayed transactional message is refused with a clear error.
  auto delayed = make_msg("tx_r", "d");
  delayed.set_delay_level(2);
  message half = delayed;
  half.put_property("TRAN_MSG", "true");
  half.put_property("PGROUP", "tx_pg");
  auto r = p.send(half);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot be delayed"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace mq::client::test
