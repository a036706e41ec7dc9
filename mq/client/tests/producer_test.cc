// Producer integration tests against our name server + broker on loopback,
// and the transactional producer against a scripted fake broker.
#include "mq/client/producer.h"

#include <atomic>
#include <set>

#include <gtest/gtest.h>

#include "client_test_util.h"
#include "mq/common/message_id.h"
#include "mq/common/message_record.h"
#include "mq/common/properties.h"
#include "mq/remoting/server.h"

namespace mq::client::test {
namespace {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;
using remoting::remoting_command;

// Reads every message of a topic's queues through the lite consumer.
std::vector<message_ext> read_all(const cluster& c, const std::string& topic, size_t expect,
                                  std::chrono::milliseconds timeout = 20s) {
  lite_pull_options o;
  static_cast<consumer_options&>(o) = consumer_opts(c, "reader_" + topic);
  lite_pull_consumer reader(o);
  EXPECT_TRUE(reader.subscribe(topic, "*").ok());
  EXPECT_TRUE(reader.start().ok());
  std::vector<message_ext> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < expect && std::chrono::steady_clock::now() < deadline) {
    auto got = reader.poll(500ms);
    out.insert(out.end(), got.begin(), got.end());
  }
  return out;
}

TEST(Producer, SyncSendReturnsIdsAndTheMessageArrivesIntact) {
  cluster c;
  c.create_topic("orders", 4);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  std::map<std::string, send_result> sent;
  for (int i = 0; i < 20; ++i) {
    auto m = make_msg("orders", "order-" + std::to_string(i), i % 2 ? "paid" : "created");
    m.set_keys({"k" + std::to_string(i), "order" + std::to_string(i)});
    m.put_property("userProp", "v" + std::to_string(i));
    auto r = p.send(m);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, send_status::SEND_OK);
    EXPECT_EQ(r->msg_id.size(), 32u);
    EXPECT_TRUE(decode_offset_msg_id(r->offset_msg_id)) << r->offset_msg_id;
    EXPECT_EQ(r->queue.topic, "orders");
    EXPECT_EQ(r->queue.broker_name, "broker-a");
    EXPECT_EQ(r->region_id, "DefaultRegion");
    sent[m.body] = *r;
  }
  // Round robin over the 4 queues.
  std::set<int> qids;
  for (auto& [_, r] : sent) qids.insert(r.queue.queue_id);
  EXPECT_EQ(qids.size(), 4u);

  auto got = read_all(c, "orders", 20);
  ASSERT_EQ(got.size(), 20u);
  for (auto& m : got) {
    auto& r = sent.at(m.body);
    EXPECT_EQ(*m.property("UNIQ_KEY"), r.msg_id);
    EXPECT_EQ(m.msg_id, r.offset_msg_id);
    EXPECT_EQ(m.queue_id, r.queue.queue_id);
    EXPECT_EQ(m.queue_offset, r.queue_offset);
    int i = std::stoi(m.body.substr(6));
    EXPECT_EQ(m.tags(), i % 2 ? "paid" : "created");
    EXPECT_EQ(m.keys(), (std::vector<std::string>{"k" + std::to_string(i), "order" + std::to_string(i)}));
    EXPECT_EQ(*m.property("userProp"), "v" + std::to_string(i));
  }
}

TEST(Producer, AutoCreatesTopicsAndCompressesLargeBodies) {
  cluster c;
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  std::string big(100000, 'z');
  auto r = p.send(make_msg("fresh_topic", big));
  ASSERT_TRUE(r) << r.error().message;
  std::vector<message_ext> raw;
  for (int i = 0; i < 250 && raw.empty(); ++i) {  // dispatch to the consume queue is asynchronous
    auto resp = c.pull("g", "fresh_topic", r->queue.queue_id, 0);
    if (resp.code == 0) raw = cluster::records(resp);
    else std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_TRUE(raw[0].sys_flag & sys_flag::compressed);
  EXPECT_LT(raw[0].body.size(), big.size());
  auto got = read_all(c, "fresh_topic", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, big);  // the consumer decompresses
}

TEST(Producer, AsyncCallbacksFuturesAndOneway) {
  cluster c;
  c.create_topic("async_t", 4);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  std::atomic<int> ok{0}, failed{0};
  for (int i = 0; i < 200; ++i) {
    p.send_async(make_msg("async_t", "cb-" + std::to_string(i)), [&](result<send_result> r) {
      (r && r->status == send_status::SEND_OK ? ok : failed)++;
    });
  }
  std::vector<std::future<result<send_result>>> futs;
  for (int i = 0; i < 100; ++i) futs.push_back(p.send_async(make_msg("async_t", "fut-" + std::to_string(i))));
  for (auto& f : futs) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().message;
  }
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(p.send_oneway(make_msg("async_t", "ow-" + std::to_string(i))).ok());
  for (int i = 0; i < 500 && ok + failed < 200; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(failed.load(), 0);
  auto got = read_all(c, "async_t", 350);
  std::set<std::string> bodies;
  for (auto& m : got) bodies.insert(m.body);
  EXPECT_EQ(bodies.size(), 350u);
  // Errors reach the callback too.
  auto bad = p.send_async(make_msg("async_t", "")).get();
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
}

TEST(Producer, BatchOfTenThousandThroughTheSplitter) {
  cluster c;
  c.create_topic("batch_t", 4);
  producer_options o = producer_opts(c);
  producer p(o);
  ASSERT_TRUE(p.start().ok());
  std::vector<message> msgs;
  for (int i = 0; i < 10000; ++i) msgs.push_back(make_msg("batch_t", "b" + std::to_string(i) + std::string(500, '.'), "T"));
  auto batches = producer::split_batches(msgs, 1024 * 1024);
  EXPECT_GT(batches.size(), 1u);
  size_t sent = 0;
  for (auto& b : batches) {
    auto r = p.send_batch(b);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(std::count(r->msg_id.begin(), r->msg_id.end(), ',') + 1, static_cast<long>(b.size()));
    sent += b.size();
  }
  EXPECT_EQ(sent, 10000u);
  auto got = read_all(c, "batch_t", 10000, 60s);
  std::set<std::string> bodies;
  for (auto& m : got) bodies.insert(m.body);
  EXPECT_EQ(bodies.size(), 10000u);
  // Too big in one piece: a clear error, nothing sent.
  auto r = p.send_batch(msgs);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::too_large);
  // Mixed topics and delays are refused.
  std::vector<message> mixed = {make_msg("batch_t", "x"), make_msg("other", "y")};
  EXPECT_EQ(p.send_batch(mixed).error().code, errc::invalid_argument);
  auto delayed = make_msg("batch_t", "d");
  delayed.set_delay_level(2);
  EXPECT_EQ(p.send_batch({delayed}).error().code, errc::invalid_argument);
}

TEST(Producer, BadMessagesAreRefusedClearly) {
  cluster c;
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  EXPECT_EQ(p.send(make_msg("t", "")).error().code, errc::invalid_argument);
  EXPECT_EQ(p.send(make_msg("", "x")).error().code, errc::invalid_argument);
  EXPECT_EQ(p.send(make_msg("bad topic!", "x")).error().code, errc::invalid_argument);
  EXPECT_EQ(p.send(make_msg("TBW102", "x")).error().code, errc::invalid_argument);
  EXPECT_EQ(p.send(make_msg("t", std::string(5 * 1024 * 1024, 'x'))).error().code, errc::too_large);
  producer_options bad = producer_opts(c);
  bad.namesrv_addr = "";
  EXPECT_EQ(producer(bad).start().code, errc::invalid_argument);
  producer not_started(producer_opts(c));
  EXPECT_EQ(not_started.send(make_msg("t", "x")).error().code, errc::closed);
}

TEST(Producer, SendTimesOutWhenTheBrokerIsGone) {
  cluster c;
  c.create_topic("gone_t", 2);
  producer_options o = producer_opts(c);
  o.send_timeout = 1500ms;
  producer p(o);
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(p.send(make_msg("gone_t", "first")));
  c.crash_broker();
  auto begin = std::chrono::steady_clock::now();
  auto r = p.send(make_msg("gone_t", "second"));
  auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message, "");
  EXPECT_LT(took, 3s);
  auto f = p.send_async(make_msg("gone_t", "third")).get();
  EXPECT_FALSE(f);
}

TEST(Producer, FailsOverToAnotherBrokerOfTheTopic) {
  cluster c;
  // A second broker group registered with the same name server.
  broker::test::temp_dir dir_b;
  properties_map p{{"brokerName", "broker-b"},
                   {"brokerIP1", "127.0.0.1"},
                   {"listenAddress", "127.0.0.1"},
                   {"storePathRootDir", dir_b.path + "/store"},
                   {"namesrvAddr", c.ns_addr()},
                   {"mappedFileSizeCommitLog", std::to_string(8 * 1024 * 1024)},
                   {"haListenPort", "0"}};
  auto cfg = broker::broker_config_from(p);
  ASSERT_TRUE(cfg);
  cfg->listen_port = 0;
  cfg->fast_listen_port_enable = false;
  auto b = std::make_unique<broker::broker_controller>(*cfg);
  std::string err;
  ASSERT_TRUE(b->start(&err)) << err;
  c.create_topic("ha_t", 2);
  {
    auto r = remoting_command::request(req::UPDATE_AND_CREATE_TOPIC);
    r.set("topic", "ha_t");
    r.set("defaultTopic", "TBW102");
    r.set("readQueueNums", int64_t{2});
    r.set("writeQueueNums", int64_t{2});
    r.set("perm", int64_t{6});
    r.set("topicFilterType", "SINGLE_TAG");
    r.set("order", "false");
    auto res = c.client.invoke_sync(b->broker_addr(), std::move(r), 5s);
    ASSERT_TRUE(res.ok());
    ASSERT_EQ(res.response.code, rc::SUCCESS);
  }
  producer_options o = producer_opts(c);
  o.send_timeout = 5s;
  producer prod(o);
  ASSERT_TRUE(prod.start().ok());
  std::set<std::string> brokers;
  for (int i = 0; i < 8; ++i) {
    auto r = prod.send(make_msg("ha_t", "before-" + std::to_string(i)));
    ASSERT_TRUE(r) << r.error().message;
    brokers.insert(r->queue.broker_name);
  }
  EXPECT_EQ(brokers, (std::set<std::string>{"broker-a", "broker-b"}));
  c.crash_broker();  // broker-a dies; the name server still lists it for a while
  int on_b = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = prod.send(make_msg("ha_t", "after-" + std::to_string(i)));
    ASSERT_TRUE(r) << "send " << i << ": " << r.error().message;
    EXPECT_EQ(r->queue.broker_name, "broker-b");
    on_b++;
  }
  EXPECT_EQ(on_b, 20);
  prod.shutdown();
  b->stop();
}

// ---- transactional producer against a fake broker --------------------------------

class fake_broker {
 public:
  fake_broker() : server_(opts()) {
    server_.register_default_processor(
        [this](const remoting::channel_ptr& ch, remoting_command& r) -> std::optional<remoting_command> {
          return handle(ch, r);
        },
        nullptr);
    std::string err;
    if (!server_.start(&err)) throw std::runtime_error(err);
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(server_.port()); }

  struct end_tx {
    std::map<std::string, std::string> fields;
    std::optional<std::string> remark;
    bool oneway = false;
  };
  std::vector<end_tx> ends() {
    std::lock_guard lk(mu_);
    return ends_;
  }
  bool wait_ends(size_t n) {
    for (int i = 0; i < 500; ++i) {
      if (ends().size() >= n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  remoting::channel_ptr producer_channel() {
    std::lock_guard lk(mu_);
    return producer_ch_;
  }
  std::string last_send_props() {
    std::lock_guard lk(mu_);
    return last_props_;
  }
  int32_t last_sys_flag() {
    std::lock_guard lk(mu_);
    return last_sys_flag_;
  }

 private:
  static remoting::server_options opts() {
    remoting::server_options o;
    o.bind_address = "127.0.0.1";
    return o;
  }
  std::optional<remoting_command> handle(const remoting::channel_ptr& ch, remoting_command& r) {
    std::lock_guard lk(mu_);
    switch (r.code) {
      case req::GET_ROUTEINFO_BY_TOPIC: {
        auto resp = remoting_command::response_to(r, rc::SUCCESS);
        resp.body = R"({"brokerDatas":[{"brokerAddrs":{"0":")" + addr() +
                    R"("},"brokerName":"fake","cluster":"C"}],"queueDatas":[{"brokerName":"fake","perm":6,"readQueueNums":1,"writeQueueNums":1}]})";
        return resp;
      }
      case req::SEND_MESSAGE_V2: {
        producer_ch_ = ch;
        last_props_ = *r.field("i");
        last_sys_flag_ = static_cast<int32_t>(r.field_int("f").value_or(0));
        auto resp = remoting_command::response_to(r, rc::SUCCESS);
        resp.set("msgId", encode_offset_msg_id(*socket_address::parse("127.0.0.1:10911"), 4242 + next_++));
        resp.set("queueId", "0");
        resp.set("queueOffset", std::to_string(next_));
        resp.set("MSG_REGION", "DefaultRegion");
        resp.set("TRACE_ON", "true");
        return resp;
      }
      case req::END_TRANSACTION:
        ends_.push_back({r.ext_fields, r.remark, r.is_oneway()});
        return std::nullopt;
      default:
        return remoting_command::response_to(r, rc::SUCCESS);
    }
  }
  remoting::remoting_server server_;
  std::mutex mu_;
  std::vector<end_tx> ends_;
  remoting::channel_ptr producer_ch_;
  std::string last_props_;
  int32_t last_sys_flag_ = 0;
  int64_t next_ = 0;
};

class scripted_listener : public transaction_listener {
 public:
  std::atomic<int> executed{0};
  std::atomic<int> checked{0};
  local_transaction_state execute_result = local_transaction_state::COMMIT_MESSAGE;
  std::string last_check_uniq;
  local_transaction_state execute_local_transaction(const message& m, const std::any& arg) override {
    executed++;
    EXPECT_EQ(std::any_cast<int>(arg), 42);
    EXPECT_EQ(*m.property("TRAN_MSG"), "true");
    if (m.body == "throw") throw std::runtime_error("db down");
    return execute_result;
  }
  local_transaction_state check_local_transaction(const message_ext& m) override {
    checked++;
    last_check_uniq = *m.property("UNIQ_KEY");
    return m.body == "paid" ? local_transaction_state::COMMIT_MESSAGE : local_transaction_state::ROLLBACK_MESSAGE;
  }
};

TEST(TransactionProducer, HalfMessageLocalTransactionAndEnd) {
  fake_broker fb;
  scripted_listener l;
  transaction_producer_options o;
  o.namesrv_addr = fb.addr();
  o.group = "tx_group";
  transaction_producer p(o, &l);
  ASSERT_TRUE(p.start().ok());

  auto r = p.send_message_in_transaction(make_msg("payTopic", "pay-1", "paid"), 42);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->local_state, local_transaction_state::COMMIT_MESSAGE);
  EXPECT_EQ(l.executed.load(), 1);
  auto props = decode_properties(fb.last_send_props());
  EXPECT_EQ(props["TRAN_MSG"], "true");
  EXPECT_EQ(props["PGROUP"], "tx_group");
  EXPECT_TRUE(fb.last_sys_flag() & sys_flag::transaction_prepared_type);
  ASSERT_TRUE(fb.wait_ends(1));
  auto e = fb.ends()[0];
  EXPECT_TRUE(e.oneway);
  EXPECT_EQ(e.fields["commitOrRollback"], "8");
  EXPECT_EQ(e.fields["producerGroup"], "tx_group");
  EXPECT_EQ(e.fields["fromTransactionCheck"], "false");
  EXPECT_EQ(e.fields["msgId"], r->msg_id);
  EXPECT_EQ(e.fields["transactionId"], r->msg_id);
  EXPECT_EQ(e.fields["tranStateTableOffset"], std::to_string(r->queue_offset));
  EXPECT_EQ(e.fields["commitLogOffset"], std::to_string(decode_offset_msg_id(r->offset_msg_id)->second));

  l.execute_result = local_transaction_state::ROLLBACK_MESSAGE;
  ASSERT_TRUE(p.send_message_in_transaction(make_msg("payTopic", "pay-2"), 42));
  ASSERT_TRUE(fb.wait_ends(2));
  EXPECT_EQ(fb.ends()[1].fields["commitOrRollback"], "12");

  // An exception is UNKNOW (0), with the reason in the remark.
  auto t = p.send_message_in_transaction(make_msg("payTopic", "throw"), 42);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->local_state, local_transaction_state::UNKNOW);
  ASSERT_TRUE(fb.wait_ends(3));
  EXPECT_EQ(fb.ends()[2].fields["commitOrRollback"], "0");
  ASSERT_TRUE(fb.ends()[2].remark);
  EXPECT_NE(fb.ends()[2].remark->find("db down"), std::string::npos);
}

TEST(TransactionProducer, AnswersTheBrokersCheckBack) {
  fake_broker fb;
  scripted_listener l;
  l.execute_result = local_transaction_state::UNKNOW;
  transaction_producer_options o;
  o.namesrv_addr = fb.addr();
  o.group = "tx_group";
  transaction_producer p(o, &l);
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(p.send_message_in_transaction(make_msg("payTopic", "paid"), 42));
  ASSERT_TRUE(fb.wait_ends(1));
  auto ch = fb.producer_channel();
  ASSERT_TRUE(ch);

  auto check = [&](const std::string& body, const std::string& uniq, int64_t cl_offset) {
    message_ext m;
    m.topic = "payTopic";
    m.body = body;
    m.put_property("UNIQ_KEY", uniq);
    m.put_property("PGROUP", "tx_group");
    m.put_property("TRAN_MSG", "true");
    m.born_host = *socket_address::parse("127.0.0.1:1");
    m.store_host = *socket_address::parse("127.0.0.1:10911");
    m.commit_log_offset = cl_offset;
    auto rec = encode_record(m);
    ASSERT_TRUE(rec);
    auto cmd = remoting_command::request(req::CHECK_TRANSACTION_STATE);
    cmd.set("tranStateTableOffset", int64_t{7});
    cmd.set("commitLogOffset", cl_offset);
    cmd.set("msgId", uniq);
    cmd.set("transactionId", uniq);
    cmd.set("offsetMsgId", encode_offset_msg_id(m.store_host, cl_offset));
    cmd.body = *rec;
    ASSERT_EQ(ch->invoke_oneway(std::move(cmd)), remoting::errc::ok);
  };
  check("paid", "AAAA0000000000000000000000000001", 100);
  ASSERT_TRUE(fb.wait_ends(2));
  auto e = fb.ends()[1];
  EXPECT_EQ(e.fields["fromTransactionCheck"], "true");
  EXPECT_EQ(e.fields["commitOrRollback"], "8");
  EXPECT_EQ(e.fields["msgId"], "AAAA0000000000000000000000000001");
  EXPECT_EQ(e.fields["commitLogOffset"], "100");
  EXPECT_EQ(e.fields["tranStateTableOffset"], "7");
  check("unpaid", "AAAA0000000000000000000000000002", 200);
  ASSERT_TRUE(fb.wait_ends(3));
  EXPECT_EQ(fb.ends()[2].fields["commitOrRollback"], "12");
  EXPECT_EQ(l.checked.load(), 2);
  // A garbage body is ignored (no answer, no crash).
  auto bad = remoting_command::request(req::CHECK_TRANSACTION_STATE);
  bad.body = "garbage";
  ASSERT_EQ(ch->invoke_oneway(std::move(bad)), remoting::errc::ok);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(fb.ends().size(), 3u);
}

}  // namespace
}  // namespace mq::client::test
