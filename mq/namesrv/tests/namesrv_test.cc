// The name server over real sockets: a broker registers through the
// remoting client, clients read routes, KV config survives a restart, and a
// broker disappears when its connection closes or it goes silent.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "mq/common/crc.h"
#include "mq/namesrv/namesrv_controller.h"
#include "mq/remoting/client.h"
#include "mq/remoting/json.h"

namespace mq::namesrv {
namespace {

using namespace std::chrono_literals;
using remoting::remoting_command;
namespace rc = remoting::response_code;
namespace req = remoting::request_code;

const char* kBody =
    R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}})";

struct server {
  std::unique_ptr<namesrv_controller> ns;
  explicit server(namesrv_config c = {}) {
    c.listen_address = "127.0.0.1";
    c.listen_port = 0;
    ns = std::make_unique<namesrv_controller>(c);
    std::string err;
    if (!ns->start(&err)) throw std::runtime_error(err);
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(ns->port()); }
};

remoting_command register_req(const std::string& addr = "127.0.0.1:10911", int64_t id = 0) {
  auto r = remoting_command::request(req::REGISTER_BROKER);
  r.set("brokerName", "broker-a");
  r.set("brokerAddr", addr);
  r.set("clusterName", "DefaultCluster");
  r.set("haServerAddr", "127.0.0.1:10912");
  r.set("brokerId", id);
  r.set("compressed", "false");
  r.body = kBody;
  r.set("bodyCrc32", static_cast<int64_t>(mq::rocketmq_crc32(r.body)));
  return r;
}

remoting_command route_req(const std::string& topic) {
  auto r = remoting_command::request(req::GET_ROUTEINFO_BY_TOPIC);
  r.set("topic", topic);
  return r;
}

TEST(Namesrv, RegisterThenRoute) {
  server s;
  remoting::remoting_client broker, client;
  auto reg = broker.invoke_sync(s.addr(), register_req(), 3s);
  ASSERT_TRUE(reg.ok()) << reg.message;
  ASSERT_EQ(reg.response.code, rc::SUCCESS) << reg.response.remark.value_or("");
  ASSERT_NE(reg.response.field("masterAddr"), nullptr);

  auto route = client.invoke_sync(s.addr(), route_req("TopicTest"), 3s);
  ASSERT_TRUE(route.ok());
  ASSERT_EQ(route.response.code, rc::SUCCESS);
  EXPECT_EQ(route.response.body,
            R"({"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})");

  auto none = client.invoke_sync(s.addr(), route_req("Unknown"), 3s);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.response.code, rc::TOPIC_NOT_EXIST);
  EXPECT_NE(none.response.remark->find("No topic route info in name server for the topic: Unknown"),
            std::string::npos);

  auto cluster = client.invoke_sync(s.addr(), remoting_command::request(req::GET_BROKER_CLUSTER_INFO), 3s);
  auto ci = remoting::parse_lenient(cluster.response.body);
  ASSERT_TRUE(ci);
  EXPECT_EQ((*ci)["clusterAddrTable"]["DefaultCluster"][0], "broker-a");

  auto topics = client.invoke_sync(s.addr(), remoting_command::request(req::GET_ALL_TOPIC_LIST_FROM_NAMESERVER), 3s);
  EXPECT_EQ(topics.response.body, R"({"topicList":["TopicTest"]})");
}

TEST(Namesrv, BadRegistrationsAreRefusedAndChangeNothing) {
  server s;
  remoting::remoting_client c;
  auto bad_crc = register_req();
  bad_crc.set("bodyCrc32", "12345");
  auto r1 = c.invoke_sync(s.addr(), bad_crc, 3s);
  EXPECT_EQ(r1.response.code, rc::SYSTEM_ERROR);
  EXPECT_EQ(r1.response.remark, std::optional<std::string>("crc32 not match"));
  auto missing = register_req();
  missing.ext_fields.erase("brokerAddr");
  auto r2 = c.invoke_sync(s.addr(), missing, 3s);
  EXPECT_EQ(r2.response.code, rc::SYSTEM_ERROR);
  EXPECT_NE(r2.response.remark->find("brokerAddr"), std::string::npos);
  auto garbage = register_req();
  garbage.body = "{not json";
  garbage.ext_fields.erase("bodyCrc32");
  EXPECT_EQ(c.invoke_sync(s.addr(), garbage, 3s).response.code, rc::SYSTEM_ERROR);
  EXPECT_EQ(s.ns->routes().live_broker_count(), 0u);
  EXPECT_EQ(c.invoke_sync(s.addr(), route_req("TopicTest"), 3s).response.code, rc::TOPIC_NOT_EXIST);
}

TEST(Namesrv, ClosedBrokerConnectionDropsItAtOnce) {
  server s;
  {
    remoting::remoting_client broker;
    ASSERT_EQ(broker.invoke_sync(s.addr(), register_req(), 3s).response.code, rc::SUCCESS);
    EXPECT_EQ(s.ns->routes().live_broker_count(), 1u);
  }  // the broker's client shuts down: its connection closes
  for (int i = 0; i < 200 && s.ns->routes().live_broker_count() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(s.ns->routes().live_broker_count(), 0u);
  remoting::remoting_client c;
  EXPECT_EQ(c.invoke_sync(s.addr(), route_req("TopicTest"), 3s).response.code, rc::TOPIC_NOT_EXIST);
}

TEST(Namesrv, SilentBrokerExpires) {
  namesrv_config cfg;
  cfg.scan_not_active_broker_interval = 50ms;
  cfg.broker_channel_expired_time = 200ms;
  server s(cfg);
  remoting::remoting_client broker;
  ASSERT_EQ(broker.invoke_sync(s.addr(), register_req(), 3s).response.code, rc::SUCCESS);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(s.ns->routes().live_broker_count(), 1u);
  for (int i = 0; i < 100 && s.ns->routes().live_broker_count() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(s.ns->routes().live_broker_count(), 0u);
}

TEST(Namesrv, KvConfigAndOrderTopicConfSurviveARestart) {
  std::string dir = ::testing::TempDir() + "/nskv" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  namesrv_config cfg;
  cfg.kv_config_path = dir + "/kvConfig.json";
  cfg.order_message_enable = true;
  {
    server s(cfg);
    remoting::remoting_client c;
    auto put = remoting_command::request(req::PUT_KV_CONFIG);
    put.set("namespace", "ORDER_TOPIC_CONFIG");
    put.set("key", "TopicTest");
    put.set("value", "broker-a:4");
    ASSERT_EQ(c.invoke_sync(s.addr(), put, 3s).response.code, rc::SUCCESS);
    auto reg = c.invoke_sync(s.addr(), register_req(), 3s);
    EXPECT_EQ(reg.response.body, R"({"table":{"TopicTest":"broker-a:4"}})");
    auto route = c.invoke_sync(s.addr(), route_req("TopicTest"), 3s);
    EXPECT_EQ((*remoting::parse_lenient(route.response.body))["orderTopicConf"], "broker-a:4");
  }
  server again(cfg);
  remoting::remoting_client c;
  auto get = remoting_command::request(req::GET_KV_CONFIG);
  get.set("namespace", "ORDER_TOPIC_CONFIG");
  get.set("key", "TopicTest");
  auto g = c.invoke_sync(again.addr(), get, 3s);
  ASSERT_EQ(g.response.code, rc::SUCCESS);
  EXPECT_EQ(*g.response.field("value"), "broker-a:4");
  auto del = remoting_command::request(req::DELETE_KV_CONFIG);
  del.set("namespace", "ORDER_TOPIC_CONFIG");
  del.set("key", "TopicTest");
  ASSERT_EQ(c.invoke_sync(again.addr(), del, 3s).response.code, rc::SUCCESS);
  auto g2 = c.invoke_sync(again.addr(), get, 3s);
  EXPECT_EQ(g2.response.code, rc::QUERY_NOT_FOUND);
  EXPECT_EQ(g2.response.remark, std::optional<std::string>("No config item, Namespace: ORDER_TOPIC_CONFIG Key: TopicTest"));
  std::filesystem::remove_all(dir);
}

TEST(Namesrv, WipeWritePermAndDataVersion) {
  server s;
  remoting::remoting_client c;
  ASSERT_EQ(c.invoke_sync(s.addr(), register_req(), 3s).response.code, rc::SUCCESS);
  auto wipe = remoting_command::request(req::WIPE_WRITE_PERM_OF_BROKER);
  wipe.set("brokerName", "broker-a");
  auto w = c.invoke_sync(s.addr(), wipe, 3s);
  EXPECT_EQ(*w.response.field("wipeTopicCount"), "1");
  auto route = c.invoke_sync(s.addr(), route_req("TopicTest"), 3s);
  EXPECT_EQ((*remoting::parse_lenient(route.response.body))["queueDatas"][0]["perm"], 4);
  auto dv = remoting_command::request(req::QUERY_DATA_VERSION);
  dv.set("brokerName", "broker-a");
  dv.set("brokerAddr", "127.0.0.1:10911");
  dv.set("clusterName", "DefaultCluster");
  dv.set("brokerId", "0");
  dv.body = R"({"counter":1,"timestamp":1700000000000})";
  EXPECT_EQ(*c.invoke_sync(s.addr(), dv, 3s).response.field("changed"), "false");
  dv.body = R"({"counter":2,"timestamp":1700000000001})";
  EXPECT_EQ(*c.invoke_sync(s.addr(), dv, 3s).response.field("changed"), "true");
}

}  // namespace
}  // namespace mq::namesrv
