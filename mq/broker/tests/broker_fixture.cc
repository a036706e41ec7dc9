#include "broker_fixture.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "mq/common/message_record.h"
#include "mq/common/properties.h"

namespace mq::broker::test {

namespace req = remoting::request_code;

temp_dir::temp_dir() {
  char tmpl[] = "/tmp/mq_broker_test_XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

cluster::cluster(std::map<std::string, std::string> overrides) : overrides_(std::move(overrides)) {
  namesrv::namesrv_config nc;
  nc.listen_address = "127.0.0.1";
  nc.listen_port = 0;
  nc.metrics_prom_enable = true;  // /metrics on any free port (metrics_test.cc reads it)
  nc.metrics_prom_host = "127.0.0.1";
  nc.metrics_prom_port = 0;
  ns = std::make_unique<namesrv::namesrv_controller>(nc);
  std::string err;
  if (!ns->start(&err)) throw std::runtime_error(err);
  start_broker();
}

cluster::~cluster() {
  client.shutdown();
  if (broker) broker->stop();
  ns->stop();
}

void cluster::start_broker() {
  properties_map p{{"brokerName", "broker-a"},
                   {"brokerIP1", "127.0.0.1"},
                   {"listenAddress", "127.0.0.1"},
                   {"storePathRootDir", dir.path + "/store"},
                   {"namesrvAddr", ns_addr()},
                   {"mappedFileSizeCommitLog", std::to_string(8 * 1024 * 1024)},
                   {"mappedFileSizeConsumeQueue", std::to_string(20 * 10000)},
                   {"haListenPort", "0"}};  // no slaves here (tests share the machine's ports)
  for (auto& [k, v] : overrides_) p[k] = v;
  auto cfg = broker_config_from(p);
  if (!cfg) throw std::runtime_error(cfg.error().message);
  cfg->listen_port = 0;
  cfg->fast_listen_port_enable = false;
  broker = std::make_unique<broker_controller>(*cfg);
  std::string err;
  if (!broker->start(&err)) throw std::runtime_error(err);
}

void cluster::stop_broker() {
  broker->stop();
  broker.reset();
}

void cluster::crash_broker() {
  broker->halt_for_test();
  broker.reset();
}

std::string cluster::ns_addr() const { return "127.0.0.1:" + std::to_string(ns->port()); }
std::string cluster::broker_addr() const { return broker->broker_addr(); }

remoting::invoke_result cluster::call(remoting_command r, std::chrono::milliseconds timeout) {
  return client.invoke_sync(broker_addr(), std::move(r), timeout);
}

remoting_command cluster::send(const std::string& topic, const std::string& body, int32_t queue_id,
                               std::map<std::string, std::string> props) {
  auto r = remoting_command::request(req::SEND_MESSAGE_V2);
  r.set("a", "PG_TEST");
  r.set("b", topic);
  r.set("c", "TBW102");
  r.set("d", int64_t{4});
  r.set("e", int64_t{queue_id});
  r.set("f", int64_t{0});
  r.set("g", int64_t{1700000000000});
  r.set("h", int64_t{0});
  r.set("i", encode_properties(props));
  r.set("j", int64_t{0});
  r.set("k", "false");
  r.set("m", "false");
  r.body = body;
  auto res = call(std::move(r));
  if (!res.ok()) throw std::runtime_error("send failed: " + res.message);
  return res.response;
}

remoting_command cluster::pull(const std::string& group, const std::string& topic, int32_t queue_id, int64_t offset,
                               const std::string& expr, int64_t sys_flag, int64_t suspend_ms,
                               std::chrono::milliseconds timeout) {
  auto r = remoting_command::request(req::PULL_MESSAGE);
  r.set("consumerGroup", group);
  r.set("topic", topic);
  r.set("queueId", int64_t{queue_id});
  r.set("queueOffset", offset);
  r.set("maxMsgNums", int64_t{32});
  r.set("sysFlag", sys_flag);
  r.set("commitOffset", int64_t{0});
  r.set("suspendTimeoutMillis", suspend_ms);
  r.set("subscription", expr);
  r.set("subVersion", int64_t{0});
  r.set("expressionType", "TAG");
  auto res = call(std::move(r), timeout);
  if (!res.ok()) throw std::runtime_error("pull failed: " + res.message);
  return res.response;
}

remoting_command cluster::create_topic(const std::string& topic, int32_t queues, int32_t perm) {
  auto r = remoting_command::request(req::UPDATE_AND_CREATE_TOPIC);
  r.set("topic", topic);
  r.set("defaultTopic", "TBW102");
  r.set("readQueueNums", int64_t{queues});
  r.set("writeQueueNums", int64_t{queues});
  r.set("perm", int64_t{perm});
  r.set("topicFilterType", "SINGLE_TAG");
  r.set("topicSysFlag", int64_t{0});
  r.set("order", "false");
  auto res = call(std::move(r));
  if (!res.ok()) throw std::runtime_error("create topic failed: " + res.message);
  return res.response;
}

std::vector<message_ext> cluster::records(const remoting_command& resp) {
  auto d = decode_records(resp.body, true);
  if (!d) throw std::runtime_error("bad records: " + d.error().message);
  return *d;
}

}  // namespace mq::broker::test
