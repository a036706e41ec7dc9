#include "mq/namesrv/route_info_manager.h"

#include <gtest/gtest.h>

namespace mq::namesrv {
namespace {

// RegisterBrokerBody as a Java broker sends it (rocketmq-protocol.md §3.2).
const char* kBody =
    R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":2,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4},"TBW102":{"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8}}}})";

register_body body() {
  std::string err;
  auto b = parse_register_body(kBody, &err);
  EXPECT_TRUE(b) << err;
  return *b;
}

TEST(RegisterBody, ParsesWrapperAndOldSpellings) {
  auto b = body();
  EXPECT_EQ(b.version.counter, 2);
  ASSERT_EQ(b.topics.size(), 2u);
  EXPECT_EQ(b.topics["TBW102"].perm, 7);
  EXPECT_EQ(b.topics["TopicTest"].read_queue_nums, 4);
  // A bare wrapper (pre-3.0.11 brokers) and topicSynFlag (pre-4.9.0).
  auto old = parse_register_body(
      R"({"dataVersion":{"counter":1,"timestamp":5},"topicConfigTable":{"T":{"perm":6,"readQueueNums":2,"writeQueueNums":2,"topicSynFlag":3}}})",
      nullptr);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->topics["T"].topic_sys_flag, 3);
  std::string err;
  EXPECT_FALSE(parse_register_body("[1,2]", &err));
  EXPECT_FALSE(parse_register_body("{\"topicConfigSerializeWrapper\":5}", &err));
  EXPECT_FALSE(err.empty());
}

TEST(RouteInfo, RouteDataHasTheDocumentedShape) {
  route_info_manager m;
  m.register_broker("DefaultCluster", "10.0.0.5:10911", "broker-a", 0, "10.0.0.5:10912", body(), 1, 1000);
  auto r = m.route("TopicTest", std::nullopt);
  ASSERT_TRUE(r);
  // Compact standard JSON, quoted numeric keys, sorted fields (§3.1, §8 item 4).
  EXPECT_EQ(r->dump(),
            R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.5:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})");
  EXPECT_FALSE(m.route("Nope", std::nullopt));
  auto tbw = m.route("TBW102", std::string("broker-a:8"));
  ASSERT_TRUE(tbw);
  EXPECT_EQ((*tbw)["orderTopicConf"], "broker-a:8");
}

TEST(RouteInfo, SlaveLearnsItsMasterAndSharesTheBrokerData) {
  route_info_manager m;
  m.register_broker("c", "10.0.0.5:10911", "broker-a", 0, "10.0.0.5:10912", body(), 1, 1000);
  auto res = m.register_broker("c", "10.0.0.6:10911", "broker-a", 1, "10.0.0.6:10912", body(), 2, 1000);
  EXPECT_EQ(res.master_addr, "10.0.0.5:10911");
  EXPECT_EQ(res.ha_server_addr, "10.0.0.5:10912");
  auto r = m.route("TopicTest", std::nullopt);
  EXPECT_EQ((*r)["brokerDatas"][0]["brokerAddrs"]["1"], "10.0.0.6:10911");
  auto info = m.cluster_info();
  EXPECT_EQ(info["clusterAddrTable"]["c"][0], "broker-a");
}

TEST(RouteInfo, SilentBrokersExpireAndTheirTopicsGo) {
  route_info_manager m;
  m.register_broker("c", "a:1", "broker-a", 0, "", body(), 1, 1000);
  m.register_broker("c", "b:1", "broker-b", 0, "", body(), 2, 100000);
  auto dead = m.scan_not_active(/*now=*/125000, /*expiry=*/120000);
  ASSERT_EQ(dead, std::vector<std::string>{"a:1"});
  auto r = m.route("TopicTest", std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["queueDatas"].size(), 1u);
  EXPECT_EQ((*r)["queueDatas"][0]["brokerName"], "broker-b");
  EXPECT_EQ(m.on_channel_closed(2), std::vector<std::string>{"b:1"});
  EXPECT_FALSE(m.route("TopicTest", std::nullopt));
  EXPECT_TRUE(m.all_topics().empty());
  EXPECT_TRUE(m.cluster_info()["clusterAddrTable"].empty());
}

TEST(RouteInfo, OnlyTheMasterDefinesQueuesAndOnlyOnNewDataVersions) {
  route_info_manager m;
  auto b = body();
  m.register_broker("c", "a:1", "broker-a", 0, "", b, 1, 1000);
  // Same data version with different content: ignored (Java compares versions).
  auto same = b;
  same.topics["TopicTest"].write_queue_nums = 99;
  m.register_broker("c", "a:1", "broker-a", 0, "", same, 1, 2000);
  EXPECT_EQ((*m.route("TopicTest", std::nullopt))["queueDatas"][0]["writeQueueNums"], 4);
  auto next = same;
  next.version.counter = 3;
  m.register_broker("c", "a:1", "broker-a", 0, "", next, 1, 3000);
  EXPECT_EQ((*m.route("TopicTest", std::nullopt))["queueDatas"][0]["writeQueueNums"], 99);
  // A slave's body never changes queue data.
  auto slave = next;
  slave.version.counter = 4;
  slave.topics["TopicTest"].write_queue_nums = 1;
  m.register_broker("c", "s:1", "broker-a", 1, "", slave, 2, 3000);
  EXPECT_EQ((*m.route("TopicTest", std::nullopt))["queueDatas"][0]["writeQueueNums"], 99);
}

TEST(RouteInfo, WipeAndAddWritePermission) {
  route_info_manager m;
  m.register_broker("c", "a:1", "broker-a", 0, "", body(), 1, 1000);
  EXPECT_EQ(m.wipe_write_perm("broker-a"), 2);
  EXPECT_EQ((*m.route("TopicTest", std::nullopt))["queueDatas"][0]["perm"], 4);
  EXPECT_EQ(m.add_write_perm("broker-a"), 2);
  EXPECT_EQ((*m.route("TopicTest", std::nullopt))["queueDatas"][0]["perm"], 6);
  EXPECT_EQ(m.wipe_write_perm("nobody"), 0);
}

TEST(RouteInfo, DeleteTopicAndTopicsByCluster) {
  route_info_manager m;
  m.register_broker("c1", "a:1", "broker-a", 0, "", body(), 1, 1000);
  m.register_broker("c2", "b:1", "broker-b", 0, "", body(), 2, 1000);
  auto c1 = m.topics_of_cluster("c1");
  EXPECT_EQ(c1.size(), 2u);
  m.delete_topic("TopicTest", std::string("c1"));
  auto r = m.route("TopicTest", std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["queueDatas"].size(), 1u);
  m.delete_topic("TopicTest", std::nullopt);
  EXPECT_FALSE(m.route("TopicTest", std::nullopt));
}

}  // namespace
}  // namespace mq::namesrv
