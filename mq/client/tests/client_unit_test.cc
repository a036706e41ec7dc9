// Unit tests of mq/client's pure parts: allocation, routes, batch splitting,
// subscriptions, fault back-off, process-queue commit points, the timer,
// the local offset file.
#include "mq/client/push_consumer.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "consumer_core.h"
#include "mq/client/producer.h"
#include "mq/common/batch.h"
#include "mq/common/message_const.h"
#include "offset_store.h"
#include "process_queue.h"
#include "producer_impl.h"
#include "mq/client/topic_route.h"
#include "timer.h"

namespace mq::client {
namespace {

std::vector<message_queue> queues(int n) {
  std::vector<message_queue> out;
  for (int i = 0; i < n; ++i) out.push_back({"t", "b", i});
  return out;
}

TEST(Allocate, AveragelyMatchesJava) {
  auto all = queues(8);
  std::vector<std::string> cids = {"a", "b", "c"};
  // n=8, c=3: mod 2 -> a gets 3 (0..2), b gets 3 (3..5), c gets 2 (6..7).
  auto a = allocate(allocate_strategy::AVERAGELY, "a", all, cids);
  auto b = allocate(allocate_strategy::AVERAGELY, "b", all, cids);
  auto c = allocate(allocate_strategy::AVERAGELY, "c", all, cids);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(a[0].queue_id, 0);
  EXPECT_EQ(b[0].queue_id, 3);
  EXPECT_EQ(c[0].queue_id, 6);
  EXPECT_EQ(c[1].queue_id, 7);
  // More clients than queues: the last ones get nothing.
  std::vector<std::string> many = {"a", "b", "c", "d", "e"};
  EXPECT_EQ(allocate(allocate_strategy::AVERAGELY, "d", queues(3), many).size(), 0u);
  EXPECT_EQ(allocate(allocate_strategy::AVERAGELY, "c", queues(3), many).size(), 1u);
  // Unknown client: nothing.
  EXPECT_TRUE(allocate(allocate_strategy::AVERAGELY, "zz", all, cids).empty());
}

TEST(Allocate, EveryQueueExactlyOnce) {
  for (int n = 1; n <= 17; ++n) {
    for (int c = 1; c <= 6; ++c) {
      std::vector<std::string> cids;
      for (int i = 0; i < c; ++i) cids.push_back("c" + std::to_string(i));
      for (auto s : {allocate_strategy::AVERAGELY, allocate_strategy::AVERAGELY_BY_CIRCLE}) {
        std::map<int, int> seen;
        for (auto& cid : cids)
          for (auto& q : allocate(s, cid, queues(n), cids)) seen[q.queue_id]++;
        ASSERT_EQ(static_cast<int>(seen.size()), n) << n << " " << c;
        for (auto& [_, k] : seen) ASSERT_EQ(k, 1);
      }
    }
  }
}

TEST(Allocate, ByCircle) {
  auto b = allocate(allocate_strategy::AVERAGELY_BY_CIRCLE, "b", queues(8), {"a", "b", "c"});
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].queue_id, 1);
  EXPECT_EQ(b[1].queue_id, 4);
  EXPECT_EQ(b[2].queue_id, 7);
}

TEST(Route, ParsesFastjsonAndDerivesQueues) {
  std::string body =
      R"({"brokerDatas":[{"brokerAddrs":{0:"10.0.0.5:10911",1:"10.0.0.6:10911"},"brokerName":"broker-b","cluster":"C"},)"
      R"({"brokerAddrs":{1:"10.0.0.7:10911"},"brokerName":"broker-c","cluster":"C"},)"
      R"({"brokerAddrs":{"0":"10.0.0.8:10911"},"brokerName":"broker-a","cluster":"C"}],"filterServerTable":{},)"
      R"("queueDatas":[{"brokerName":"broker-b","perm":6,"readQueueNums":2,"topicSysFlag":0,"writeQueueNums":3},)"
      R"({"brokerName":"broker-c","perm":6,"readQueueNums":1,"writeQueueNums":1},)"
      R"({"brokerName":"broker-a","perm":4,"readQueueNums":1,"topicSynFlag":0,"writeQueueNums":1}]})";
  auto r = parse_topic_route(body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->brokers.size(), 3u);
  EXPECT_EQ(r->broker("broker-b")->master_addr(), "10.0.0.5:10911");
  EXPECT_EQ(r->broker("broker-c")->master_addr(), "");
  EXPECT_EQ(r->broker("broker-c")->any_addr(), "10.0.0.7:10911");
  // Publish: writable queues of brokers with a master (a is read-only, c has no master).
  auto pub = r->publish_queues("t");
  ASSERT_EQ(pub.size(), 3u);
  for (auto& q : pub) EXPECT_EQ(q.broker_name, "broker-b");
  // Subscribe: readable queues, sorted.
  auto sub = r->subscribe_queues("t");
  ASSERT_EQ(sub.size(), 4u);
  EXPECT_EQ(sub[0].broker_name, "broker-a");
  EXPECT_EQ(sub[1], (message_queue{"t", "broker-b", 0}));
  EXPECT_EQ(sub[3].broker_name, "broker-c");
}

TEST(Route, OrderTopicConfAndBadBodies) {
  auto r = parse_topic_route(R"({"orderTopicConf":"broker-a:2;broker-b:1","brokerDatas":[],"queueDatas":[]})");
  ASSERT_TRUE(r);
  auto pub = r->publish_queues("t");
  ASSERT_EQ(pub.size(), 3u);
  EXPECT_EQ(pub[2], (message_queue{"t", "broker-b", 0}));
  EXPECT_FALSE(parse_topic_route("not json"));
  EXPECT_FALSE(parse_topic_route(R"({"queueDatas":[{"brokerName":"a"}]})"));
  EXPECT_FALSE(parse_topic_route(R"({"queueDatas":[{"brokerName":"a","perm":6,"readQueueNums":-1,"writeQueueNums":1}]})"));
  EXPECT_FALSE(parse_topic_route(R"({"brokerDatas":[{"brokerName":"a","brokerAddrs":{"x":"1.2.3.4:1"}}]})"));
}

TEST(Batch, SplitterKeepsEachBatchUnderTheLimit) {
  std::vector<message> msgs;
  for (int i = 0; i < 10000; ++i) {
    message m;
    m.topic = "t";
    m.body = std::string(100 + i % 50, 'x');
    m.set_tags("T");
    msgs.push_back(m);
  }
  size_t limit = 256 * 1024;
  auto batches = producer::split_batches(msgs, limit);
  ASSERT_GT(batches.size(), 1u);
  size_t total = 0;
  for (auto& b : batches) {
    total += b.size();
    // What send_batch puts on the wire: each message with a UNIQ_KEY.
    auto with_ids = b;
    for (auto& m : with_ids) m.put_property("UNIQ_KEY", std::string(32, 'A'));
    auto body = encode_batch(with_ids);
    ASSERT_TRUE(body);
    EXPECT_LE(body->size(), limit);
    if (&b != &batches.back()) {
      EXPECT_GT(body->size(), limit * 9 / 10);  // and batches are nearly full, not tiny
    }
  }
  EXPECT_EQ(total, msgs.size());
  // A message larger than the limit is a batch of its own.
  std::vector<message> big(3);
  for (auto& m : big) {
    m.topic = "t";
    m.body = std::string(1000, 'y');
  }
  EXPECT_EQ(producer::split_batches(big, 500).size(), 3u);
}

TEST(Subscription, TagExpressions) {
  auto all = make_tag_subscription("t", "*");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->tags.empty());
  EXPECT_EQ(all->expression, "*");
  auto s = make_tag_subscription("t", " TagA || TagB ||  || TagA ");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tags, (std::set<std::string>{"TagA", "TagB"}));
  ASSERT_EQ(s->codes.size(), 2u);
  EXPECT_EQ(s->codes[0], 2598919);  // hash("TagA"), §3.3
  message_ext m;
  m.set_tags("TagB");
  EXPECT_TRUE(tag_matches(*s, m));
  m.set_tags("TagC");
  EXPECT_FALSE(tag_matches(*s, m));
  EXPECT_FALSE(make_tag_subscription("t", "a > 5"));
  EXPECT_FALSE(make_tag_subscription("", "*"));
  auto hb = consumer_heartbeat("g", true, message_model::CLUSTERING, consume_from_where::CONSUME_FROM_FIRST_OFFSET, {*s});
  auto& cd = hb["consumerDataSet"][0];
  EXPECT_EQ(cd["groupName"], "g");
  EXPECT_EQ(cd["consumeType"], "CONSUME_PASSIVELY");
  EXPECT_EQ(cd["consumeFromWhere"], "CONSUME_FROM_FIRST_OFFSET");
  EXPECT_EQ(cd["subscriptionDataSet"][0]["subString"], " TagA || TagB ||  || TagA ");
  EXPECT_EQ(cd["subscriptionDataSet"][0]["expressionType"], "TAG");
}

TEST(LatencyFault, BackOffTable) {
  using std::chrono::milliseconds;
  EXPECT_EQ(latency_fault_tolerance::not_available_duration(milliseconds(10)).count(), 0);
  EXPECT_EQ(latency_fault_tolerance::not_available_duration(milliseconds(600)).count(), 30000);
  EXPECT_EQ(latency_fault_tolerance::not_available_duration(milliseconds(30000)).count(), 600000);
  latency_fault_tolerance f;
  EXPECT_TRUE(f.available("a"));
  f.update("a", milliseconds(0), true);
  EXPECT_FALSE(f.available("a"));
  EXPECT_TRUE(f.available("b"));
  f.update("a", milliseconds(5), false);
  EXPECT_TRUE(f.available("a"));
}

message_ext at(int64_t off) {
  message_ext m;
  m.queue_offset = off;
  m.body = "x";
  return m;
}

TEST(ProcessQueue, CommitsTheSmallestInFlightOffset) {
  process_queue pq;
  EXPECT_EQ(pq.remove({}), -1);
  pq.put({at(10), at(11), at(12), at(10)});
  EXPECT_EQ(pq.count(), 3u);
  EXPECT_EQ(pq.span(), 2);
  // 11 and 12 done first: 10 still in flight, so commit 10.
  EXPECT_EQ(pq.remove({11, 12}), 10);
  EXPECT_EQ(pq.remove({10}), 13);
  EXPECT_TRUE(pq.empty());
}

TEST(ProcessQueue, OrderlyTakeCommitRollback) {
  process_queue pq;
  pq.put({at(5), at(6), at(7)});
  auto first = pq.take(2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].queue_offset, 5);
  first[0].reconsume_times = 1;
  pq.rollback(first);
  auto again = pq.take(1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].queue_offset, 5);
  EXPECT_EQ(again[0].reconsume_times, 1);
  EXPECT_EQ(pq.commit(), 6);
  pq.take(5);
  EXPECT_EQ(pq.commit(), 8);
}

TEST(Timer, RunsInDueOrderAndRepeats) {
  timer_thread t("test");
  std::mutex mu;
  std::vector<int> order;
  t.post_after(std::chrono::milliseconds(60), [&] {
    std::lock_guard lk(mu);
    order.push_back(2);
  });
  t.post_after(std::chrono::milliseconds(10), [&] {
    std::lock_guard lk(mu);
    order.push_back(1);
  });
  std::atomic<int> ticks{0};
  t.post_every(std::chrono::milliseconds(5), [&] { return ++ticks < 3; });
  auto ordered = [&] {
    std::lock_guard lk(mu);
    return order.size();
  };
  for (int i = 0; i < 200 && (ticks < 3 || ordered() < 2); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  t.stop();
  std::lock_guard lk(mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(ticks.load(), 3);
  EXPECT_FALSE(t.post_after(std::chrono::milliseconds(0), [] {}));
}

TEST(LocalOffsetStore, RoundTripAndBackup) {
  char tmpl[] = "/tmp/mq_client_offsets_XXXXXX";
  ASSERT_TRUE(::mkdtemp(tmpl));
  std::string dir = tmpl;
  message_queue q1{"t", "b", 0}, q2{"t", "b", 1};
  {
    auto s = make_local_offset_store(dir, "1.2.3.4@x", "g");
    ASSERT_TRUE(s->load().ok());
    EXPECT_EQ(s->read(q1, true), -1);
    s->update(q1, 7, false);
    s->update(q2, 9, false);
    s->update(q2, 3, true);  // increase-only ignores it
    s->persist({});
    s->update(q1, 8, false);
    s->persist({});
  }
  std::string path = dir + "/1.2.3.4@x/g/offsets.json";
  {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(text.find("\"offsetTable\""), std::string::npos);
  }
  {
    auto s = make_local_offset_store(dir, "1.2.3.4@x", "g");
    ASSERT_TRUE(s->load().ok());
    EXPECT_EQ(s->read(q1, true), 8);
    EXPECT_EQ(s->read(q2, true), 9);
  }
  // A damaged file falls back to the backup (the previous version).
  { std::ofstream(path, std::ios::trunc) << "{garbage"; }
  {
    auto s = make_local_offset_store(dir, "1.2.3.4@x", "g");
    ASSERT_TRUE(s->load().ok());
    EXPECT_EQ(s->read(q1, true), 7);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mq::client

namespace mq::client {
namespace {
// The README's example, kept compiling (start() is not called: no broker here).
TEST(Readme, ProducerExampleCompilesAndValidates) {
  producer p({{.namesrv_addr = "127.0.0.1:9876"}, "order_producer"});
  EXPECT_EQ(p.options().group, "order_producer");
  EXPECT_EQ(p.options().namesrv_addr, "127.0.0.1:9876");
  message m;
  m.topic = "orderTopic";
  m.set_tags("order_cancel");
  m.body = R"({"orderId":1})";
  auto r = p.send(m);  // not started
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::closed);
}
}  // namespace
}  // namespace mq::client
