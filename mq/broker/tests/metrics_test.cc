// /metrics of the broker and the name server, scraped over HTTP while
// traffic flows: counters move with sends and pulls, lag follows commits,
// unknown lags are not reported, deleted topics and groups lose their series.
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <thread>

#include "broker_fixture.h"
#include "mq/http/client.h"
#include "mq/remoting/json.h"
#include "mq/store/message_store.h"

namespace mq::broker::test {
namespace {

namespace rc = remoting::response_code;
namespace req = remoting::request_code;

// The value of the first sample of `name` whose labels include all of `labels`.
std::optional<double> value(const std::string& text, const std::string& name,
                            const std::map<std::string, std::string>& labels = {}) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto brace = line.find('{');
    auto space = line.rfind(' ');
    std::string n = line.substr(0, brace == std::string::npos ? space : brace);
    if (n != name) continue;
    std::string lbl = brace == std::string::npos ? "" : line.substr(brace, space - brace);
    bool all = true;
    for (auto& [k, v] : labels) all = all && lbl.find(k + "=\"" + v + "\"") != std::string::npos;
    if (all) return std::stod(line.substr(space + 1));
  }
  return std::nullopt;
}

std::string scrape(uint16_t port) {
  http::client c;
  auto r = c.get("127.0.0.1:" + std::to_string(port), "/metrics");
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return "";
  EXPECT_EQ(r->status, 200);
  return r->body;
}

void commit(cluster& c, const std::string& group, const std::string& topic, int32_t q, int64_t offset) {
  auto upd = remoting_command::request(req::UPDATE_CONSUMER_OFFSET);
  upd.set("consumerGroup", group);
  upd.set("topic", topic);
  upd.set("queueId", int64_t{q});
  upd.set("commitOffset", offset);
  ASSERT_EQ(c.call(upd).response.code, rc::SUCCESS);
}

TEST(Metrics, BrokerSeriesFollowTrafficCommitsAndDeletes) {
  cluster c({{"metricsExporterType", "PROM"}, {"metricsPromExporterHost", "127.0.0.1"}, {"metricsPromExporterPort", "0"}});
  uint16_t port = c.broker->metrics_port();
  ASSERT_NE(port, 0);
  auto text = scrape(port);
  EXPECT_NE(text.find("# TYPE rocketmq_messages_in_total counter"), std::string::npos) << text;
  EXPECT_FALSE(value(text, "rocketmq_messages_in_total", {{"topic", "Met"}}));

  ASSERT_EQ(c.create_topic("Met", 2).code, rc::SUCCESS);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.send("Met", std::string(100, 'x'), 0).code, rc::SUCCESS);
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  auto p = c.pull("MG", "Met", 0, 0);
  ASSERT_EQ(p.code, rc::SUCCESS);
  ASSERT_EQ(cluster::records(p).size(), 3u);
  commit(c, "MG", "Met", 0, 1);

  text = scrape(port);
  const std::map<std::string, std::string> in{{"topic", "Met"}, {"message_type", "Normal"}, {"cluster", "DefaultCluster"},
                                              {"node_type", "broker"}, {"node_id", "broker-a"}};
  EXPECT_EQ(value(text, "rocketmq_messages_in_total", in), 3) << text;
  EXPECT_GT(value(text, "rocketmq_throughput_in_total", in).value_or(0), 300);
  EXPECT_EQ(value(text, "rocketmq_message_size_count", in), 3);
  EXPECT_EQ(value(text, "rocketmq_message_size_bucket", {{"topic", "Met"}, {"le", "1024"}}), 3);
  EXPECT_EQ(value(text, "rocketmq_messages_out_total", {{"topic", "Met"}, {"consumer_group", "MG"}}), 3);
  EXPECT_GE(value(text, "rocketmq_rpc_latency_count", {{"request_code", "310"}, {"response_code", "0"}}).value_or(0), 3);
  EXPECT_EQ(value(text, "rocketmq_consumer_lag_messages", {{"topic", "Met"}, {"consumer_group", "MG"}}), 2);
  EXPECT_EQ(value(text, "rocketmq_consumer_queue_lag_messages", {{"topic", "Met"}, {"consumer_group", "MG"}, {"queue_id", "0"}}), 2);
  // Queue 1 was never committed by MG: its lag is unknown, so no series.
  EXPECT_FALSE(value(text, "rocketmq_consumer_queue_lag_messages", {{"topic", "Met"}, {"queue_id", "1"}}));
  EXPECT_EQ(value(text, "rocketmq_consume_queue_max_offset", {{"topic", "Met"}, {"queue_id", "0"}}), 3);
  EXPECT_GT(value(text, "rocketmq_storage_commitlog_size_bytes").value_or(0), 300);
  EXPECT_TRUE(value(text, "rocketmq_storage_disk_used_ratio"));
  EXPECT_EQ(value(text, "rocketmq_half_messages"), 0);

  // More traffic moves the counters and the lag; its age grows.
  for (int i = 0; i < 2; ++i) ASSERT_EQ(c.send("Met", "y", 0).code, rc::SUCCESS);
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  std::this_thread::sleep_for(60ms);
  text = scrape(port);
  EXPECT_EQ(value(text, "rocketmq_messages_in_total", in), 5);
  EXPECT_EQ(value(text, "rocketmq_consumer_lag_messages", {{"topic", "Met"}, {"consumer_group", "MG"}}), 4);
  EXPECT_EQ(value(text, "rocketmq_consumer_group_lag_messages", {{"consumer_group", "MG"}}), 4);
  EXPECT_GE(value(text, "rocketmq_consumer_lag_latency", {{"topic", "Met"}, {"consumer_group", "MG"}}).value_or(0), 50);
  commit(c, "MG", "Met", 0, 5);
  text = scrape(port);
  EXPECT_EQ(value(text, "rocketmq_consumer_lag_messages", {{"topic", "Met"}, {"consumer_group", "MG"}}), 0);
  EXPECT_EQ(value(text, "rocketmq_consumer_lag_latency", {{"topic", "Met"}, {"consumer_group", "MG"}}), 0);

  // A deleted group, then a deleted topic, lose their series.
  ASSERT_EQ(c.send("Other", "z", 0).code, rc::SUCCESS);
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  ASSERT_EQ(c.pull("GoneGroup", "Other", 0, 0).code, rc::SUCCESS);
  commit(c, "GoneGroup", "Other", 0, 0);
  text = scrape(port);
  EXPECT_TRUE(value(text, "rocketmq_messages_out_total", {{"consumer_group", "GoneGroup"}}));
  EXPECT_EQ(value(text, "rocketmq_consumer_lag_messages", {{"consumer_group", "GoneGroup"}}), 1);
  auto dg = remoting_command::request(req::DELETE_SUBSCRIPTIONGROUP);
  dg.set("groupName", "GoneGroup");
  dg.set("removeOffset", "true");
  ASSERT_EQ(c.call(dg).response.code, rc::SUCCESS);
  text = scrape(port);
  EXPECT_FALSE(value(text, "rocketmq_messages_out_total", {{"consumer_group", "GoneGroup"}})) << text;
  EXPECT_FALSE(value(text, "rocketmq_consumer_lag_messages", {{"consumer_group", "GoneGroup"}}));

  auto del = remoting_command::request(req::DELETE_TOPIC_IN_BROKER);
  del.set("topic", "Met");
  ASSERT_EQ(c.call(del).response.code, rc::SUCCESS);
  text = scrape(port);
  EXPECT_EQ(text.find("topic=\"Met\""), std::string::npos) << text;
  EXPECT_TRUE(value(text, "rocketmq_messages_in_total", {{"topic", "Other"}}));
}

TEST(Metrics, DlqAndDisabledExporter) {
  cluster c({{"metricsExporterType", "PROM"}, {"metricsPromExporterHost", "127.0.0.1"}, {"metricsPromExporterPort", "0"}});
  auto sg = remoting_command::request(req::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
  sg.body = R"({"groupName":"RG","retryMaxTimes":2})";
  ASSERT_EQ(c.call(sg).response.code, rc::SUCCESS);
  auto r = remoting_command::request(req::SEND_MESSAGE_V2);
  // RETRY_TOPIC names the original topic (properties: name \x01 value \x02).
  for (auto [k, v] : std::map<std::string, std::string>{{"a", "PG"}, {"b", "%RETRY%RG"}, {"c", "TBW102"}, {"d", "4"},
                                                        {"e", "0"}, {"f", "0"}, {"g", "1"}, {"h", "0"}, {"j", "2"},
                                                        {"i", "RETRY_TOPIC\x01OrderTopic\x02"}}) {
    r.set(k, v);
  }
  r.body = "dead";
  ASSERT_EQ(c.call(r).response.code, rc::SUCCESS);
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  auto text = scrape(c.broker->metrics_port());
  EXPECT_EQ(value(text, "rocketmq_send_to_dlq_messages_total", {{"topic", "OrderTopic"}, {"consumer_group", "RG"}}), 1)
      << text;
  EXPECT_EQ(value(text, "rocketmq_dlq_messages", {{"consumer_group", "RG"}}), 1);

  cluster off;  // metricsExporterType defaults to DISABLE
  EXPECT_EQ(off.broker->metrics_port(), 0);
}

TEST(Metrics, NameServerReportsLiveBrokers) {
  cluster c;
  ASSERT_NE(c.ns->metrics_port(), 0);
  auto text = scrape(c.ns->metrics_port());
  EXPECT_EQ(value(text, "rocketmq_namesrv_live_brokers", {{"node_type", "nameserver"}}), 1) << text;
  auto age = value(text, "rocketmq_namesrv_broker_heartbeat_age_seconds",
                   {{"broker_name", "broker-a"}, {"broker_id", "0"}, {"cluster", "DefaultCluster"}});
  ASSERT_TRUE(age);
  EXPECT_LT(*age, 60);
  c.stop_broker();  // unregisters
  text = scrape(c.ns->metrics_port());
  EXPECT_EQ(value(text, "rocketmq_namesrv_live_brokers"), 0);
  EXPECT_FALSE(value(text, "rocketmq_namesrv_broker_heartbeat_age_seconds", {{"broker_name", "broker-a"}}));
}

TEST(Metrics, BadExporterConfigIsRefused) {
  EXPECT_FALSE(broker_config_from({{"metricsExporterType", "OTLP_GRPC"}, {"storePathRootDir", "/tmp/x"}}));
  EXPECT_FALSE(broker_config_from({{"metricsExporterType", "PROM"}, {"metricsPromExporterPort", "70000"},
                                   {"storePathRootDir", "/tmp/x"}}));
}

}  // namespace
}  // namespace mq::broker::test
