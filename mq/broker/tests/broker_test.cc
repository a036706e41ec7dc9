// The broker over real sockets, with an in-process name server: routing,
// auto-creation, send/pull, long polling, offsets across restarts, consumer
// groups, locks, queries and shutdown.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "broker_fixture.h"
#include "mq/common/batch.h"
#include "mq/common/message_const.h"
#include "mq/common/message_id.h"
#include "mq/remoting/json.h"
#include "mq/store/message_store.h"

namespace mq::broker::test {
namespace {

namespace rc = remoting::response_code;
namespace req = remoting::request_code;

remoting_command route_req(const std::string& topic) {
  auto r = remoting_command::request(req::GET_ROUTEINFO_BY_TOPIC);
  r.set("topic", topic);
  return r;
}

// Polls the name server until `topic` has a route (or the timeout passes).
bool wait_route(cluster& c, const std::string& topic, std::chrono::milliseconds timeout = 5s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto res = c.client.invoke_sync(c.ns_addr(), route_req(topic), 2s);
    if (res.ok() && res.response.code == rc::SUCCESS) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

remoting_command heartbeat(const std::string& client_id, const std::string& group, const std::string& topic,
                           const std::string& model = "CLUSTERING") {
  auto r = remoting_command::request(req::HEART_BEAT);
  nlohmann::json sub{{"classFilterMode", false}, {"codeSet", nlohmann::json::array()}, {"expressionType", "TAG"},
                     {"subString", "*"},         {"subVersion", 1},                     {"tagsSet", nlohmann::json::array()},
                     {"topic", topic}};
  nlohmann::json body{{"clientID", client_id},
                      {"consumerDataSet",
                       {{{"consumeFromWhere", "CONSUME_FROM_LAST_OFFSET"},
                         {"consumeType", "CONSUME_PASSIVELY"},
                         {"groupName", group},
                         {"messageModel", model},
                         {"subscriptionDataSet", {sub}},
                         {"unitMode", false}}}},
                      {"producerDataSet", nlohmann::json::array()}};
  r.body = remoting::to_json(body);
  return r;
}

TEST(Broker, RegistersWithNameServerAndServesTbw102Route) {
  cluster c;
  ASSERT_TRUE(wait_route(c, "TBW102"));
  auto res = c.client.invoke_sync(c.ns_addr(), route_req("TBW102"), 2s);
  auto j = remoting::parse_lenient(res.response.body);
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["brokerDatas"][0]["brokerAddrs"]["0"], c.broker_addr());
  EXPECT_EQ((*j)["queueDatas"][0]["perm"], 7);
  EXPECT_EQ((*j)["queueDatas"][0]["writeQueueNums"], 8);
}

TEST(Broker, SendAutoCreatesTopicAndRegistersIt) {
  cluster c;
  auto resp = c.send("AutoTopic", "hello", -1);
  ASSERT_EQ(resp.code, rc::SUCCESS) << resp.remark.value_or("");
  for (const char* k : {"msgId", "queueId", "queueOffset", "MSG_REGION", "TRACE_ON"}) {
    EXPECT_NE(resp.field(k), nullptr) << k;
  }
  EXPECT_EQ(*resp.field("MSG_REGION"), "DefaultRegion");
  int64_t q = *resp.field_int("queueId");
  EXPECT_GE(q, 0);
  EXPECT_LT(q, 4);  // min(defaultTopicQueueNums=4 from the header, TBW102's 8)
  EXPECT_TRUE(wait_route(c, "AutoTopic"));
  std::ifstream f(c.dir.path + "/store/config/topics.json");
  std::string text((std::istreambuf_iterator<char>(f)), {});
  EXPECT_NE(text.find("\"AutoTopic\""), std::string::npos);
}

TEST(Broker, AutoCreateDisabledAnswersTopicNotExist) {
  cluster c(conf{{"autoCreateTopicEnable", "false"}});
  auto resp = c.send("NoSuchTopic", "x", 0);
  EXPECT_EQ(resp.code, rc::TOPIC_NOT_EXIST);
  EXPECT_EQ(resp.remark.value_or(""), "topic[NoSuchTopic] not exist, apply first please!");
  // An explicitly created topic works.
  ASSERT_EQ(c.create_topic("Made", 2).code, rc::SUCCESS);
  EXPECT_EQ(c.send("Made", "x", 1).code, rc::SUCCESS);
  EXPECT_EQ(c.send("Made", "x", 2).code, rc::SYSTEM_ERROR);  // queue id out of range
}

TEST(Broker, RefusesReservedAndIllegalTopics) {
  cluster c;
  EXPECT_EQ(c.send("SCHEDULE_TOPIC_XXXX", "x", 0).code, rc::NO_PERMISSION);
  EXPECT_EQ(c.send("RMQ_SYS_TRANS_HALF_TOPIC", "x", 0).code, rc::NO_PERMISSION);
  EXPECT_EQ(c.send("bad topic!", "x", 0).code, rc::SYSTEM_ERROR);
  EXPECT_EQ(c.send(std::string(200, 'a'), "x", 0).code, rc::SYSTEM_ERROR);
}

TEST(Broker, MaxMessageSizeEnforced) {
  cluster c(conf{{"maxMessageSize", "1024"}});
  ASSERT_EQ(c.create_topic("Sized", 1).code, rc::SUCCESS);
  EXPECT_EQ(c.send("Sized", std::string(1000, 'x'), 0).code, rc::SUCCESS);
  EXPECT_EQ(c.send("Sized", std::string(2000, 'x'), 0).code, rc::MESSAGE_ILLEGAL);
}

TEST(Broker, SendThenPullRoundTripWithTagFilter) {
  cluster c;
  ASSERT_EQ(c.create_topic("RT", 1).code, rc::SUCCESS);
  for (int i = 0; i < 10; ++i) {
    auto resp = c.send("RT", "body-" + std::to_string(i), 0,
                       {{"TAGS", i % 2 ? "TagB" : "TagA"}, {"KEYS", "k" + std::to_string(i)}});
    ASSERT_EQ(resp.code, rc::SUCCESS);
    EXPECT_EQ(*resp.field_int("queueOffset"), i);
  }
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  auto all = c.pull("G1", "RT", 0, 0);
  ASSERT_EQ(all.code, rc::SUCCESS) << all.remark.value_or("");
  auto msgs = cluster::records(all);
  ASSERT_EQ(msgs.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(msgs[i].body, "body-" + std::to_string(i));
    EXPECT_EQ(msgs[i].queue_offset, i);
    EXPECT_EQ(*msgs[i].property("CLUSTER"), "DefaultCluster");
    EXPECT_EQ(msgs[i].store_host.to_string(), c.broker_addr());
  }
  EXPECT_EQ(*all.field_int("nextBeginOffset"), 10);
  EXPECT_EQ(*all.field_int("maxOffset"), 10);
  EXPECT_EQ(*all.field_int("minOffset"), 0);
  EXPECT_EQ(*all.field_int("suggestWhichBrokerId"), 0);

  auto b = c.pull("G2", "RT", 0, 0, "TagB || TagC");
  ASSERT_EQ(b.code, rc::SUCCESS);
  auto bm = cluster::records(b);
  ASSERT_EQ(bm.size(), 5u);
  for (auto& m : bm) EXPECT_EQ(m.tags(), "TagB");

  // Past the end: NO_NEW_MSG at max, OFFSET_MOVED beyond it; all four offsets set.
  auto end = c.pull("G1", "RT", 0, 10);
  EXPECT_EQ(end.code, rc::PULL_NOT_FOUND);
  EXPECT_EQ(*end.field_int("nextBeginOffset"), 10);
  auto beyond = c.pull("G1", "RT", 0, 99);
  EXPECT_EQ(beyond.code, rc::PULL_OFFSET_MOVED);
  EXPECT_EQ(*beyond.field_int("nextBeginOffset"), 10);
  auto nomatch = c.pull("G3", "RT", 0, 0, "TagZ");
  EXPECT_EQ(nomatch.code, rc::PULL_RETRY_IMMEDIATELY);
  EXPECT_EQ(*nomatch.field_int("nextBeginOffset"), 10);
  auto unknown = c.pull("G1", "Unknown", 0, 0);
  EXPECT_EQ(unknown.code, rc::TOPIC_NOT_EXIST);
  EXPECT_NE(unknown.field("nextBeginOffset"), nullptr);
}

TEST(Broker, BatchSend) {
  cluster c;
  ASSERT_EQ(c.create_topic("Batch", 1).code, rc::SUCCESS);
  std::vector<message> msgs(5);
  for (int i = 0; i < 5; ++i) {
    msgs[i].body = "b" + std::to_string(i);
    msgs[i].put_property("UNIQ_KEY", "U" + std::to_string(i));
  }
  auto body = encode_batch(msgs);
  ASSERT_TRUE(body);
  auto r = remoting_command::request(req::SEND_BATCH_MESSAGE);
  for (auto [k, v] : std::map<std::string, std::string>{{"a", "PG"}, {"b", "Batch"}, {"c", "TBW102"}, {"d", "4"},
                                                        {"e", "0"}, {"f", "0"}, {"g", "1"}, {"h", "0"}, {"m", "true"}}) {
    r.set(k, v);
  }
  r.body = *body;
  auto res = c.call(std::move(r));
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(res.response.code, rc::SUCCESS) << res.response.remark.value_or("");
  std::string ids = *res.response.field("msgId");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), ','), 4);
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  auto got = cluster::records(c.pull("G", "Batch", 0, 0));
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].body, "b" + std::to_string(i));
    EXPECT_EQ(*got[i].property("UNIQ_KEY"), "U" + std::to_string(i));
  }
  // A corrupt batch body is refused and stores nothing.
  auto bad = remoting_command::request(req::SEND_BATCH_MESSAGE);
  for (auto [k, v] : std::map<std::string, std::string>{{"a", "PG"}, {"b", "Batch"}, {"c", "TBW102"}, {"d", "4"},
                                                        {"e", "0"}, {"f", "0"}, {"g", "1"}, {"h", "0"}}) {
    bad.set(k, v);
  }
  bad.body = body->substr(0, body->size() - 3);
  auto br = c.call(std::move(bad));
  ASSERT_TRUE(br.ok());
  EXPECT_EQ(br.response.code, rc::MESSAGE_ILLEGAL);
  EXPECT_EQ(c.broker->message_store().max_offset_in_queue("Batch", 0), 5);
}

TEST(Broker, LongPollingAnswersSoonAfterASend) {
  cluster c;
  ASSERT_EQ(c.create_topic("LP", 1).code, rc::SUCCESS);
  std::atomic<int64_t> sent_at{0};
  std::thread sender([&] {
    std::this_thread::sleep_for(300ms);
    sent_at = std::chrono::steady_clock::now().time_since_epoch().count();
    c.send("LP", "wake", 0);
  });
  auto t0 = std::chrono::steady_clock::now();
  auto resp = c.pull("G", "LP", 0, 0, "*", 0x2 | 0x4, 15000, 20s);
  auto t1 = std::chrono::steady_clock::now();
  sender.join();
  ASSERT_EQ(resp.code, rc::SUCCESS) << resp.remark.value_or("");
  EXPECT_EQ(cluster::records(resp).at(0).body, "wake");
  auto after_send = t1.time_since_epoch().count() - sent_at.load();
  EXPECT_GE(t1 - t0, 250ms);                                         // it was held
  EXPECT_LT(std::chrono::nanoseconds(after_send), 50ms);             // and woke at once
}

TEST(Broker, LongPollingIsNotAnsweredWithOtherTags) {
  cluster c;
  ASSERT_EQ(c.create_topic("LP2", 1).code, rc::SUCCESS);
  std::thread sender([&] {
    std::this_thread::sleep_for(200ms);
    c.send("LP2", "other", 0, {{"TAGS", "TagX"}});
  });
  auto t0 = std::chrono::steady_clock::now();
  auto resp = c.pull("G", "LP2", 0, 0, "TagA", 0x2 | 0x4, 1500, 10s);
  auto waited = std::chrono::steady_clock::now() - t0;
  sender.join();
  // The TagX message never reaches a TagA subscriber. The request is answered
  // by the periodic check (NO_MATCHED_MSG, moving the offset past TagX, as
  // Java's PullRequestHoldService does) or when its suspend time runs out.
  EXPECT_GE(waited, 190ms);
  EXPECT_LT(waited, 4s);
  if (resp.code == rc::PULL_RETRY_IMMEDIATELY) {
    EXPECT_EQ(*resp.field_int("nextBeginOffset"), 1);
  } else {
    EXPECT_EQ(resp.code, rc::PULL_NOT_FOUND);
  }
  EXPECT_TRUE(resp.body.empty());
}

TEST(Broker, LongPollingTimesOutWithNothingNew) {
  cluster c;
  ASSERT_EQ(c.create_topic("LP3", 1).code, rc::SUCCESS);
  auto t0 = std::chrono::steady_clock::now();
  auto resp = c.pull("G", "LP3", 0, 0, "*", 0x2 | 0x4, 1200, 10s);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(resp.code, rc::PULL_NOT_FOUND);
  EXPECT_GE(waited, 1150ms);
  EXPECT_LT(waited, 3s);  // checker granularity is 1 s
}

TEST(Broker, OffsetsPersistAcrossRestart) {
  cluster c;
  ASSERT_EQ(c.create_topic("Off", 2).code, rc::SUCCESS);
  auto upd = remoting_command::request(req::UPDATE_CONSUMER_OFFSET);
  upd.set("consumerGroup", "CG");
  upd.set("topic", "Off");
  upd.set("queueId", int64_t{1});
  upd.set("commitOffset", int64_t{42});
  ASSERT_EQ(c.call(upd).response.code, rc::SUCCESS);
  // The pull piggyback commits too.
  auto p = c.pull("CG", "Off", 0, 0, "*", 0x1 | 0x4);
  (void)p;
  auto query = [&](int32_t q) {
    auto r = remoting_command::request(req::QUERY_CONSUMER_OFFSET);
    r.set("consumerGroup", "CG");
    r.set("topic", "Off");
    r.set("queueId", int64_t{q});
    return c.call(r).response;
  };
  EXPECT_EQ(*query(1).field_int("offset"), 42);
  c.stop_broker();
  EXPECT_FALSE(std::filesystem::exists(c.dir.path + "/store/abort"));
  c.start_broker();
  EXPECT_FALSE(c.broker->message_store().recovered_abnormally());
  EXPECT_EQ(*query(1).field_int("offset"), 42);
  EXPECT_EQ(*query(0).field_int("offset"), 0);
  // A group with nothing stored on a young queue starts at 0 (§6.4).
  auto fresh = remoting_command::request(req::QUERY_CONSUMER_OFFSET);
  fresh.set("consumerGroup", "Fresh");
  fresh.set("topic", "Off");
  fresh.set("queueId", int64_t{0});
  auto fr = c.call(fresh).response;
  EXPECT_EQ(fr.code, rc::SUCCESS);
  EXPECT_EQ(*fr.field_int("offset"), 0);
}

TEST(Broker, CrashLeavesAbortFileAndRestartRecovers) {
  cluster c;
  ASSERT_EQ(c.send("Crash", "one", 0).code, rc::SUCCESS);
  c.crash_broker();
  EXPECT_TRUE(std::filesystem::exists(c.dir.path + "/store/abort"));
  c.start_broker();
  EXPECT_TRUE(c.broker->message_store().recovered_abnormally());
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  auto got = cluster::records(c.pull("G", "Crash", 0, 0));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "one");
}

TEST(Broker, ConsumerGroupMembershipAndNotifications) {
  cluster c;
  ASSERT_EQ(c.create_topic("Grp", 4).code, rc::SUCCESS);
  std::atomic<int> notified_a{0};
  remoting::remoting_client a, b;
  auto pool = std::make_shared<remoting::bounded_executor>("notify", 1, 100);
  a.register_processor(
      req::NOTIFY_CONSUMER_IDS_CHANGED,
      [&](const remoting::channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
        if (r.field("consumerGroup") && *r.field("consumerGroup") == "CG") notified_a++;
        return std::nullopt;
      },
      pool);
  auto ra = a.invoke_sync(c.broker_addr(), heartbeat("client-a", "CG", "Grp"), 3s);
  ASSERT_TRUE(ra.ok());
  ASSERT_EQ(ra.response.code, rc::SUCCESS);
  EXPECT_EQ(ra.response.version, 409);
  auto rb = b.invoke_sync(c.broker_addr(), heartbeat("client-b", "CG", "Grp"), 3s);
  ASSERT_EQ(rb.response.code, rc::SUCCESS);

  auto list = remoting_command::request(req::GET_CONSUMER_LIST_BY_GROUP);
  list.set("consumerGroup", "CG");
  auto lr = c.call(list).response;
  ASSERT_EQ(lr.code, rc::SUCCESS);
  auto ids = (*remoting::parse_lenient(lr.body))["consumerIdList"];
  EXPECT_EQ(ids.size(), 2u);

  // The retry topic exists and is routable.
  EXPECT_TRUE(wait_route(c, "%RETRY%CG"));

  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (notified_a.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_GE(notified_a.load(), 2);  // once for itself, once when b joined

  int before = notified_a.load();
  b.shutdown();  // b's connection closes: a hears about it
  deadline = std::chrono::steady_clock::now() + 3s;
  while (notified_a.load() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(notified_a.load(), before);
  auto lr2 = c.call(list).response;
  EXPECT_EQ((*remoting::parse_lenient(lr2.body))["consumerIdList"].size(), 1u);

  auto conns = remoting_command::request(req::GET_CONSUMER_CONNECTION_LIST);
  conns.set("consumerGroup", "CG");
  auto cr = c.call(conns).response;
  ASSERT_EQ(cr.code, rc::SUCCESS);
  EXPECT_EQ((*remoting::parse_lenient(cr.body))["messageModel"], "CLUSTERING");

  auto unreg = remoting_command::request(req::UNREGISTER_CLIENT);
  unreg.set("clientID", "client-a");
  unreg.set("consumerGroup", "CG");
  EXPECT_EQ(a.invoke_sync(c.broker_addr(), unreg, 3s).response.code, rc::SUCCESS);
  auto lr3 = c.call(list).response;
  EXPECT_EQ(lr3.code, rc::SYSTEM_ERROR);
  EXPECT_EQ(lr3.remark.value_or(""), "no consumer for this group, CG");
}

TEST(Broker, SilentClientChannelsExpire) {
  cluster c(conf{{"channelExpiredTimeout", "300"}, {"clientChannelScanInterval", "100"}});
  remoting::remoting_client a;
  ASSERT_EQ(a.invoke_sync(c.broker_addr(), heartbeat("client-a", "EG", "T"), 3s).response.code, rc::SUCCESS);
  auto list = remoting_command::request(req::GET_CONSUMER_LIST_BY_GROUP);
  list.set("consumerGroup", "EG");
  EXPECT_EQ(c.call(list).response.code, rc::SUCCESS);
  auto deadline = std::chrono::steady_clock::now() + 3s;
  int code = rc::SUCCESS;
  while (code == rc::SUCCESS && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    code = c.call(list).response.code;
  }
  EXPECT_EQ(code, rc::SYSTEM_ERROR);  // dropped after 300 ms without a heartbeat
}

TEST(Broker, BatchLocksOneHolderPerQueue) {
  cluster c;
  auto lock_req = [](const std::string& client, std::vector<int> qs, int32_t code) {
    nlohmann::json set = nlohmann::json::array();
    for (int q : qs) {
      nlohmann::json mq = nlohmann::json::object();
      mq["brokerName"] = "broker-a";
      mq["queueId"] = q;
      mq["topic"] = "T";
      set.push_back(mq);
    }
    auto r = remoting_command::request(code);
    r.body = remoting::to_json({{"clientId", client}, {"consumerGroup", "OG"}, {"mqSet", set}});
    return r;
  };
  auto held = [&](const remoting_command& resp) {
    std::set<int> out;
    auto j = remoting::parse_lenient(resp.body);
    for (auto& m : (*j)["lockOKMQSet"]) out.insert(m["queueId"].get<int>());
    return out;
  };
  auto a = c.call(lock_req("A", {0, 1}, req::LOCK_BATCH_MQ)).response;
  EXPECT_EQ(held(a), (std::set<int>{0, 1}));
  auto b = c.call(lock_req("B", {0, 1, 2}, req::LOCK_BATCH_MQ)).response;
  EXPECT_EQ(held(b), (std::set<int>{2}));
  EXPECT_EQ(c.call(lock_req("A", {0}, req::UNLOCK_BATCH_MQ)).response.code, rc::SUCCESS);
  auto b2 = c.call(lock_req("B", {0, 1}, req::LOCK_BATCH_MQ)).response;
  EXPECT_EQ(held(b2), (std::set<int>{0}));
  auto bad = remoting_command::request(req::LOCK_BATCH_MQ);
  bad.body = "{not json";
  EXPECT_EQ(c.call(bad).response.code, rc::SYSTEM_ERROR);
}

TEST(Broker, LockExpiresAfterMaxLiveTime) {
  cluster c(conf{{"rebalanceLockMaxLiveTime", "200"}});
  auto lock_req = [](const std::string& client) {
    auto r = remoting_command::request(req::LOCK_BATCH_MQ);
    r.body = remoting::to_json({{"clientId", client},
                                {"consumerGroup", "OG"},
                                {"mqSet", {{{"brokerName", "broker-a"}, {"queueId", 0}, {"topic", "T"}}}}});
    return r;
  };
  auto count = [](const remoting_command& resp) { return (*remoting::parse_lenient(resp.body))["lockOKMQSet"].size(); };
  EXPECT_EQ(count(c.call(lock_req("A")).response), 1u);
  EXPECT_EQ(count(c.call(lock_req("B")).response), 0u);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(count(c.call(lock_req("B")).response), 1u);
}

TEST(Broker, QueryByKeyUniqueKeyAndId) {
  cluster c;
  ASSERT_EQ(c.create_topic("Q", 1).code, rc::SUCCESS);
  auto sent = c.send("Q", "findme", 0, {{"KEYS", "order-1 order-2"}, {"UNIQ_KEY", "AC11000100002A9F0000000000000001"}});
  ASSERT_EQ(sent.code, rc::SUCCESS);
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  auto query = [&](const std::string& key, bool unique) {
    auto r = remoting_command::request(req::QUERY_MESSAGE);
    r.set("topic", "Q");
    r.set("key", key);
    r.set("maxNum", int64_t{32});
    r.set("beginTimestamp", int64_t{0});
    r.set("endTimestamp", int64_t{INT64_MAX / 2});
    r.set("_UNIQUE_KEY_QUERY", unique ? "true" : "false");
    return c.call(r).response;
  };
  auto k = query("order-2", false);
  ASSERT_EQ(k.code, rc::SUCCESS);
  EXPECT_EQ(cluster::records(k).at(0).body, "findme");
  EXPECT_NE(k.field("indexLastUpdatePhyoffset"), nullptr);
  EXPECT_EQ(cluster::records(query("AC11000100002A9F0000000000000001", true)).at(0).body, "findme");
  auto none = query("nope", false);
  EXPECT_EQ(none.code, rc::QUERY_NOT_FOUND);

  auto id = decode_offset_msg_id(*sent.field("msgId"));
  ASSERT_TRUE(id);
  auto view = remoting_command::request(req::VIEW_MESSAGE_BY_ID);
  view.set("offset", id->second);
  auto v = c.call(view).response;
  ASSERT_EQ(v.code, rc::SUCCESS);
  EXPECT_EQ(cluster::records(v).at(0).body, "findme");
  view.set("offset", int64_t{123456789});
  EXPECT_EQ(c.call(view).response.code, rc::SYSTEM_ERROR);
}

TEST(Broker, OffsetAndTimeQueries) {
  cluster c;
  ASSERT_EQ(c.create_topic("T", 1).code, rc::SUCCESS);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.send("T", "x", 0).code, rc::SUCCESS);
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  auto q = [&](int32_t code, std::map<std::string, std::string> extra = {}) {
    auto r = remoting_command::request(code);
    r.set("topic", "T");
    r.set("queueId", int64_t{0});
    for (auto& [k, v] : extra) r.set(k, v);
    return c.call(r).response;
  };
  EXPECT_EQ(*q(req::GET_MAX_OFFSET).field_int("offset"), 3);
  EXPECT_EQ(*q(req::GET_MIN_OFFSET).field_int("offset"), 0);
  int64_t earliest = *q(req::GET_EARLIEST_MSG_STORETIME).field_int("timestamp");
  EXPECT_GT(earliest, 1700000000000);
  EXPECT_EQ(*q(req::SEARCH_OFFSET_BY_TIMESTAMP, {{"timestamp", "0"}}).field_int("offset"), 0);
  auto missing = remoting_command::request(req::GET_MAX_OFFSET);
  missing.set("topic", "T");
  auto mr = c.call(missing).response;
  EXPECT_EQ(mr.code, rc::SYSTEM_ERROR);
  EXPECT_NE(mr.remark->find("queueId"), std::string::npos);
}

TEST(Broker, AdminTopicGroupAndStats) {
  cluster c;
  ASSERT_EQ(c.create_topic("Adm", 3).code, rc::SUCCESS);
  ASSERT_EQ(c.send("Adm", "x", 2).code, rc::SUCCESS);
  auto all = c.call(remoting_command::request(req::GET_ALL_TOPIC_CONFIG)).response;
  auto j = remoting::parse_lenient(all.body);
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["topicConfigTable"]["Adm"]["readQueueNums"], 3);

  auto stats = remoting_command::request(req::GET_TOPIC_STATS_INFO);
  stats.set("topic", "Adm");
  auto sr = c.call(stats).response;
  ASSERT_EQ(sr.code, rc::SUCCESS);
  auto sj = remoting::parse_lenient(sr.body);  // MessageQueue-object keys (§3.7)
  ASSERT_TRUE(sj) << sr.body;
  EXPECT_EQ((*sj)["offsetTable"].size(), 3u);

  auto rt = c.call(remoting_command::request(req::GET_BROKER_RUNTIME_INFO)).response;
  auto rj = remoting::parse_lenient(rt.body);
  ASSERT_TRUE(rj);
  EXPECT_EQ((*rj)["table"]["brokerVersionDesc"], "V4_9_8");
  EXPECT_EQ((*rj)["table"]["msgPutTotalTodayNow"], "1");

  auto sg = remoting_command::request(req::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
  sg.body = R"({"groupName":"SG1","retryMaxTimes":3,"consumeEnable":false})";
  ASSERT_EQ(c.call(sg).response.code, rc::SUCCESS);
  auto pulled = c.pull("SG1", "Adm", 0, 0);
  EXPECT_EQ(pulled.code, rc::NO_PERMISSION);  // consumeEnable=false

  auto upd = remoting_command::request(req::UPDATE_BROKER_CONFIG);
  upd.body = "brokerPermission=4\n";
  ASSERT_EQ(c.call(upd).response.code, rc::SUCCESS);
  EXPECT_EQ(c.send("Adm", "x", 0).code, rc::NO_PERMISSION);
  upd.body = "listenPort=1\n";
  EXPECT_EQ(c.call(upd).response.code, rc::NO_PERMISSION);
  auto get = c.call(remoting_command::request(req::GET_BROKER_CONFIG)).response;
  EXPECT_NE(get.body.find("brokerPermission=4"), std::string::npos);

  auto del = remoting_command::request(req::DELETE_TOPIC_IN_BROKER);
  del.set("topic", "Adm");
  ASSERT_EQ(c.call(del).response.code, rc::SUCCESS);
  EXPECT_EQ(c.pull("G", "Adm", 0, 0).code, rc::TOPIC_NOT_EXIST);
}

TEST(Broker, RetryTopicPastMaxReconsumeGoesToDlq) {
  cluster c;
  auto sg = remoting_command::request(req::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
  sg.body = R"({"groupName":"RG","retryMaxTimes":2})";
  ASSERT_EQ(c.call(sg).response.code, rc::SUCCESS);
  auto r = remoting_command::request(req::SEND_MESSAGE_V2);
  for (auto [k, v] : std::map<std::string, std::string>{{"a", "PG"}, {"b", "%RETRY%RG"}, {"c", "TBW102"}, {"d", "4"},
                                                        {"e", "0"}, {"f", "0"}, {"g", "1"}, {"h", "0"}, {"j", "2"}}) {
    r.set(k, v);
  }
  r.body = "dead";
  auto res = c.call(r).response;
  ASSERT_EQ(res.code, rc::SUCCESS) << res.remark.value_or("");
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  EXPECT_EQ(c.broker->message_store().max_offset_in_queue("%DLQ%RG", 0), 1);
}

}  // namespace
}  // namespace mq::broker::test
