#include "mq/namesrv/namesrv_controller.h"

#include <algorithm>
#include <chrono>

#include "log.h"
#include "mq/common/config.h"
#include "mq/common/config_file.h"
#include "mq/common/crc.h"
#include "mq/http/metrics.h"
#include "mq/http/server.h"
#include "mq/remoting/header_reader.h"
#include "mq/remoting/json.h"
#include "mq/remoting/server.h"

namespace mq::namesrv {

using remoting::channel_ptr;
using remoting::remoting_command;
namespace rc = remoting::response_code;
namespace req = remoting::request_code;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

remoting_command reply(const remoting_command& r, int32_t code, std::optional<std::string> remark = std::nullopt) {
  return remoting_command::response_to(r, code, std::move(remark));
}

using fields = remoting::header_reader;

std::string topic_list_json(const std::vector<std::string>& topics) {
  return remoting::to_json(nlohmann::json{{"topicList", topics}});
}

constexpr const char* kOrderTopicConfig = "ORDER_TOPIC_CONFIG";

}  // namespace

namesrv_controller::namesrv_controller(namesrv_config cfg) : cfg_(std::move(cfg)) {}

namesrv_controller::~namesrv_controller() { stop(); }

uint16_t namesrv_controller::port() const { return server_ ? server_->port() : 0; }

bool namesrv_controller::load_kv(std::string* error) {
  if (cfg_.kv_config_path.empty()) return true;
  auto text = read_config_file(cfg_.kv_config_path, [](const std::string& s) {
    return remoting::parse_lenient(s).has_value();
  });
  if (!text) return true;  // first start
  auto j = remoting::parse_lenient(*text);
  auto table = j->find("configTable");
  if (table == j->end() || !table->is_object()) {
    if (error) *error = cfg_.kv_config_path + ": no configTable object";
    return false;
  }
  std::lock_guard lock(kv_mu_);
  for (auto& [ns, kvs] : table->items()) {
    if (!kvs.is_object()) continue;
    for (auto& [k, v] : kvs.items()) {
      if (v.is_string()) kv_[ns][k] = v.get<std::string>();
    }
  }
  log()->info("loaded {} KV namespaces from {}", kv_.size(), cfg_.kv_config_path);
  return true;
}

void namesrv_controller::persist_kv_locked() {
  if (cfg_.kv_config_path.empty()) return;
  nlohmann::json table = nlohmann::json::object();
  for (auto& [ns, kvs] : kv_) table[ns] = kvs;
  std::string err;
  if (!write_file_atomic(cfg_.kv_config_path, nlohmann::json{{"configTable", table}}.dump(1, '\t'), &err)) {
    log()->error("cannot persist KV config: {}", err);
  }
}

void namesrv_controller::put_kv(const std::string& ns, const std::string& key, const std::string& value) {
  std::lock_guard lock(kv_mu_);
  kv_[ns][key] = value;
  persist_kv_locked();
}

std::optional<std::string> namesrv_controller::get_kv(const std::string& ns, const std::string& key) {
  std::lock_guard lock(kv_mu_);
  auto n = kv_.find(ns);
  if (n == kv_.end()) return std::nullopt;
  auto k = n->second.find(key);
  if (k == n->second.end()) return std::nullopt;
  return k->second;
}

void namesrv_controller::delete_kv(const std::string& ns, const std::string& key) {
  std::lock_guard lock(kv_mu_);
  auto n = kv_.find(ns);
  if (n == kv_.end()) return;
  n->second.erase(key);
  if (n->second.empty()) kv_.erase(n);
  persist_kv_locked();
}

void namesrv_controller::register_processors() {
  auto& s = *server_;
  auto on = [&](int32_t code, std::function<std::optional<remoting_command>(const channel_ptr&, remoting_command&)> fn) {
    s.register_processor(code, std::move(fn), pool_);
  };

  on(req::REGISTER_BROKER, [this](const channel_ptr& ch, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string name = f.str("brokerName"), addr = f.str("brokerAddr"), cluster = f.str("clusterName");
    std::string ha = f.str("haServerAddr");
    int64_t id = f.num("brokerId");
    if (auto e = f.error()) return e;
    if (auto crc = r.field_int("bodyCrc32"); crc && *crc != 0 && *crc != mq::rocketmq_crc32(r.body)) {
      return reply(r, rc::SYSTEM_ERROR, "crc32 not match");
    }
    if (const std::string* c = r.field("compressed"); c && *c == "true") {
      return reply(r, rc::SYSTEM_ERROR, "compressed register body is not supported; set compressedRegister=false");
    }
    register_body body;
    if (!r.body.empty()) {
      std::string err;
      auto parsed = parse_register_body(r.body, &err);
      if (!parsed) return reply(r, rc::SYSTEM_ERROR, err);
      body = std::move(*parsed);
    }
    auto res = routes_.register_broker(cluster, addr, name, id, ha, body, ch->id(), now_ms());
    auto resp = reply(r, rc::SUCCESS);
    resp.set("haServerAddr", res.ha_server_addr);
    resp.set("masterAddr", res.master_addr);
    std::lock_guard lock(kv_mu_);
    if (auto n = kv_.find(kOrderTopicConfig); n != kv_.end()) {
      resp.body = remoting::to_json(nlohmann::json{{"table", n->second}});
    }
    return resp;
  });

  on(req::UNREGISTER_BROKER, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string name = f.str("brokerName"), addr = f.str("brokerAddr"), cluster = f.str("clusterName");
    int64_t id = f.num("brokerId");
    if (auto e = f.error()) return e;
    routes_.unregister_broker(cluster, addr, name, id);
    return reply(r, rc::SUCCESS);
  });

  on(req::GET_ROUTEINFO_BY_TOPIC, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string topic = f.str("topic");
    if (auto e = f.error()) return e;
    std::optional<std::string> order;
    if (cfg_.order_message_enable) order = get_kv(kOrderTopicConfig, topic);
    auto route = routes_.route(topic, order);
    if (!route) {
      return reply(r, rc::TOPIC_NOT_EXIST, "No topic route info in name server for the topic: " + topic);
    }
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json(*route);
    return resp;
  });

  on(req::GET_BROKER_CLUSTER_INFO, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json(routes_.cluster_info());
    return resp;
  });

  on(req::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
     [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
       auto resp = reply(r, rc::SUCCESS);
       resp.body = topic_list_json(routes_.all_topics());
       return resp;
     });

  on(req::GET_TOPICS_BY_CLUSTER, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string cluster = f.str("cluster");
    if (auto e = f.error()) return e;
    auto resp = reply(r, rc::SUCCESS);
    resp.body = topic_list_json(routes_.topics_of_cluster(cluster));
    return resp;
  });

  on(req::GET_SYSTEM_TOPIC_LIST_FROM_NS, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    // Java lists cluster names and broker names (each is also a topic).
    auto info = routes_.cluster_info();
    std::vector<std::string> topics;
    for (auto& [c, names] : info["clusterAddrTable"].items()) {
      topics.push_back(c);
      for (auto& n : names) topics.push_back(n.get<std::string>());
    }
    auto resp = reply(r, rc::SUCCESS);
    resp.body = topic_list_json(topics);
    return resp;
  });

  on(req::DELETE_TOPIC_IN_NAMESRV, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string topic = f.str("topic");
    if (auto e = f.error()) return e;
    std::optional<std::string> cluster;
    if (const std::string* c = r.field("clusterName"); c && !c->empty()) cluster = *c;
    routes_.delete_topic(topic, cluster);
    return reply(r, rc::SUCCESS);
  });

  on(req::PUT_KV_CONFIG, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string ns = f.str("namespace"), key = f.str("key"), value = f.str("value");
    if (auto e = f.error()) return e;
    put_kv(ns, key, value);
    return reply(r, rc::SUCCESS);
  });

  on(req::GET_KV_CONFIG, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string ns = f.str("namespace"), key = f.str("key");
    if (auto e = f.error()) return e;
    auto v = get_kv(ns, key);
    if (!v) return reply(r, rc::QUERY_NOT_FOUND, "No config item, Namespace: " + ns + " Key: " + key);
    auto resp = reply(r, rc::SUCCESS);
    resp.set("value", *v);
    return resp;
  });

  on(req::DELETE_KV_CONFIG, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string ns = f.str("namespace"), key = f.str("key");
    if (auto e = f.error()) return e;
    delete_kv(ns, key);
    return reply(r, rc::SUCCESS);
  });

  on(req::GET_KVLIST_BY_NAMESPACE, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string ns = f.str("namespace");
    if (auto e = f.error()) return e;
    std::lock_guard lock(kv_mu_);
    auto n = kv_.find(ns);
    if (n == kv_.end()) return reply(r, rc::QUERY_NOT_FOUND, "No config item, Namespace: " + ns);
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json(nlohmann::json{{"table", n->second}});
    return resp;
  });

  auto perm = [this](bool wipe) {
    return [this, wipe](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
      fields f{r};
      std::string name = f.str("brokerName");
      if (auto e = f.error()) return e;
      int n = wipe ? routes_.wipe_write_perm(name) : routes_.add_write_perm(name);
      log()->info("{} write permission of broker {}: {} topics", wipe ? "wiped" : "added", name, n);
      auto resp = reply(r, rc::SUCCESS);
      resp.set(wipe ? "wipeTopicCount" : "addTopicCount", static_cast<int64_t>(n));
      return resp;
    };
  };
  on(req::WIPE_WRITE_PERM_OF_BROKER, perm(true));
  on(req::ADD_WRITE_PERM_OF_BROKER, perm(false));

  on(req::QUERY_DATA_VERSION, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    fields f{r};
    std::string addr = f.str("brokerAddr");
    if (auto e = f.error()) return e;
    data_version v;
    if (auto j = remoting::parse_lenient(r.body); j && j->is_object()) {
      v.counter = j->value("counter", int64_t{0});
      v.timestamp = j->value("timestamp", int64_t{0});
    }
    std::optional<data_version> ours;
    bool changed = routes_.data_version_changed(addr, v, now_ms(), &ours);
    auto resp = reply(r, rc::SUCCESS);
    resp.set("changed", changed ? "true" : "false");
    if (ours) resp.body = remoting::to_json({{"counter", ours->counter}, {"timestamp", ours->timestamp}});
    return resp;
  });

  on(req::GET_NAMESRV_CONFIG, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    std::string text;
    for (auto& [k, v] : cfg_.all) text += k + "=" + v + "\n";
    auto resp = reply(r, rc::SUCCESS);
    resp.body = text;
    return resp;
  });

  on(req::UPDATE_NAMESRV_CONFIG, [this](const channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
    auto parsed = mq::parse_properties_text(r.body);
    if (!parsed) return reply(r, rc::SYSTEM_ERROR, parsed.error().message);
    for (auto& [k, v] : *parsed) {
      if (k == "listenPort" || k == "kvConfigPath") {
        return reply(r, rc::NO_PERMISSION, "Can not update config in black list: " + k);
      }
    }
    for (auto& [k, v] : *parsed) cfg_.all[k] = v;
    if (auto it = parsed->find("orderMessageEnable"); it != parsed->end()) {
      cfg_.order_message_enable = mq::get_bool(*parsed, "orderMessageEnable", false);
    }
    return reply(r, rc::SUCCESS);
  });
}

bool namesrv_controller::start(std::string* error) {
  if (!load_kv(error)) return false;
  remoting::server_options so;
  so.bind_address = cfg_.listen_address;
  so.port = cfg_.listen_port;
  so.name = "namesrv";
  server_ = std::make_unique<remoting::remoting_server>(so);
  pool_ = std::make_shared<remoting::bounded_executor>("namesrv", cfg_.server_worker_threads, 10000);
  register_processors();
  server_->on_channel_closed([this](const channel_ptr& ch) { routes_.on_channel_closed(ch->id()); });
  if (!server_->start(error)) return false;
  if (cfg_.metrics_prom_enable) {
    metrics_http_ = http::start_metrics_server("mqnamesrv", cfg_.metrics_prom_host, cfg_.metrics_prom_port,
                                               [this] { return metrics_text(); }, error);
    if (!metrics_http_) {
      server_->stop();
      return false;
    }
    log()->info("serving Prometheus metrics on http://{}:{}/metrics", cfg_.metrics_prom_host, metrics_http_->port());
  }
  scan_thread_ = std::thread([this] { scan_loop(); });
  log()->info("name server listening on {}:{}", cfg_.listen_address, server_->port());
  return true;
}

void namesrv_controller::scan_loop() {
  std::unique_lock lock(scan_mu_);
  while (!stopping_) {
    scan_cv_.wait_for(lock, cfg_.scan_not_active_broker_interval, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    routes_.scan_not_active(now_ms(), cfg_.broker_channel_expired_time.count());
    lock.lock();
  }
}

void namesrv_controller::stop() {
  {
    std::lock_guard lock(scan_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  scan_cv_.notify_all();
  if (scan_thread_.joinable()) scan_thread_.join();
  if (metrics_http_) metrics_http_->stop();
  if (server_) server_->stop();
  if (pool_) pool_->shutdown();
  log()->info("name server stopped");
}

uint16_t namesrv_controller::metrics_port() const { return metrics_http_ ? metrics_http_->port() : 0; }

// node_type="nameserver" as RocketMQ 5.x labels its name servers; the
// families are our own (RocketMQ 4.x name servers export none).
std::string namesrv_controller::metrics_text() {
  const std::map<std::string, std::string> base{{"node_type", "nameserver"},
                                                {"node_id", "namesrv:" + std::to_string(port())}};
  auto line = [&](std::string& out, const char* name, std::map<std::string, std::string> l, double v) {
    http::prom_sample(out, name, std::move(l), base, v);
  };

  std::string out;
  auto brokers = routes_.live_brokers();
  http::prom_family(out, "rocketmq_namesrv_live_brokers", "gauge", "Broker addresses registered and not expired.");
  line(out, "rocketmq_namesrv_live_brokers", {}, static_cast<double>(brokers.size()));
  http::prom_family(out, "rocketmq_namesrv_topics", "gauge", "Topics with a route.");
  line(out, "rocketmq_namesrv_topics", {}, static_cast<double>(routes_.all_topics().size()));
  http::prom_family(out, "rocketmq_namesrv_broker_heartbeat_age_seconds", "gauge",
                    "Seconds since each broker's last registration.");
  int64_t now = now_ms();
  for (auto& b : brokers)
    line(out, "rocketmq_namesrv_broker_heartbeat_age_seconds",
         {{"cluster", b.cluster}, {"broker_name", b.broker_name}, {"broker_id", std::to_string(b.broker_id)},
          {"address", b.address}},
         static_cast<double>(std::max<int64_t>(0, now - b.last_update_ms)) / 1000.0);
  return out;
}

}  // namespace mq::namesrv
