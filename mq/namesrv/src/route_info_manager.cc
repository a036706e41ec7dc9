#include "mq/namesrv/route_info_manager.h"

#include <algorithm>

#include "log.h"
#include "mq/remoting/json.h"

namespace mq::namesrv {

namespace {
constexpr int32_t kPermWrite = 2;

int64_t get_i64(const nlohmann::json& j, const char* k, int64_t dflt) {
  auto it = j.find(k);
  if (it == j.end()) return dflt;
  if (it->is_number_integer() || it->is_number_unsigned()) return it->get<int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return dflt;
    }
  }
  return dflt;
}
}  // namespace

std::optional<register_body> parse_register_body(std::string_view json, std::string* error) {
  auto j = remoting::parse_lenient(json);
  if (!j || !j->is_object()) {
    if (error) *error = "register body is not a JSON object";
    return std::nullopt;
  }
  const nlohmann::json* wrapper = &*j;
  if (auto it = j->find("topicConfigSerializeWrapper"); it != j->end()) wrapper = &*it;
  if (!wrapper->is_object()) {
    if (error) *error = "topicConfigSerializeWrapper is not an object";
    return std::nullopt;
  }
  register_body body;
  if (auto dv = wrapper->find("dataVersion"); dv != wrapper->end() && dv->is_object()) {
    body.version.counter = get_i64(*dv, "counter", 0);
    body.version.timestamp = get_i64(*dv, "timestamp", 0);
  }
  if (auto tt = wrapper->find("topicConfigTable"); tt != wrapper->end()) {
    if (!tt->is_object()) {
      if (error) *error = "topicConfigTable is not an object";
      return std::nullopt;
    }
    for (auto& [name, tc] : tt->items()) {
      if (!tc.is_object()) continue;
      topic_config c;
      c.topic_name = tc.value("topicName", name);
      c.read_queue_nums = static_cast<int32_t>(get_i64(tc, "readQueueNums", 16));
      c.write_queue_nums = static_cast<int32_t>(get_i64(tc, "writeQueueNums", 16));
      c.perm = static_cast<int32_t>(get_i64(tc, "perm", 6));
      // Before 4.9.0 the field was spelled topicSynFlag.
      c.topic_sys_flag = static_cast<int32_t>(get_i64(tc, "topicSysFlag", get_i64(tc, "topicSynFlag", 0)));
      if (auto ft = tc.find("topicFilterType"); ft != tc.end() && ft->is_string()) c.topic_filter_type = *ft;
      if (auto o = tc.find("order"); o != tc.end() && o->is_boolean()) c.order = *o;
      body.topics[name] = c;
    }
  }
  if (auto fs = j->find("filterServerList"); fs != j->end() && fs->is_array()) {
    for (auto& s : *fs) {
      if (s.is_string()) body.filter_servers.push_back(s);
    }
  }
  return body;
}

register_result route_info_manager::register_broker(const std::string& cluster, const std::string& broker_addr,
                                                    const std::string& broker_name, int64_t broker_id,
                                                    const std::string& ha_server_addr, const register_body& body,
                                                    uint64_t channel, int64_t now_ms) {
  std::lock_guard lock(mu_);
  clusters_[cluster].insert(broker_name);
  auto& bd = brokers_[broker_name];
  bool first = bd.addrs.empty();
  bd.cluster = cluster;
  // The same address under another id (slave promoted / role switch) goes.
  for (auto it = bd.addrs.begin(); it != bd.addrs.end();) {
    if (it->second == broker_addr && it->first != broker_id) {
      it = bd.addrs.erase(it);
    } else {
      ++it;
    }
  }
  auto prev = bd.addrs.find(broker_id);
  first = first || prev == bd.addrs.end() || prev->second != broker_addr;
  bd.addrs[broker_id] = broker_addr;

  auto live = live_.find(broker_addr);
  bool changed = live == live_.end() || !(live->second.version == body.version);
  if (broker_id == 0 && (changed || first)) {
    for (auto& [name, tc] : body.topics) {
      topic_queue_[name][broker_name] = queue_data{tc.read_queue_nums, tc.write_queue_nums, tc.perm, tc.topic_sys_flag};
    }
    log()->info("broker {} ({} id {}) registered {} topics, data version {}", broker_name, broker_addr, broker_id,
                body.topics.size(), body.version.counter);
  }
  live_[broker_addr] = live_info{now_ms, body.version, channel, ha_server_addr};
  if (live == live_.end()) log()->info("new broker {} {} in cluster {}", broker_name, broker_addr, cluster);

  register_result r;
  if (broker_id != 0) {
    auto master = bd.addrs.find(0);
    if (master != bd.addrs.end()) {
      auto ml = live_.find(master->second);
      if (ml != live_.end()) {
        r.master_addr = master->second;
        r.ha_server_addr = ml->second.ha_server_addr;
      }
    }
  }
  return r;
}

void route_info_manager::remove_broker_addr_locked(const std::string& broker_addr) {
  live_.erase(broker_addr);
  for (auto bit = brokers_.begin(); bit != brokers_.end();) {
    auto& bd = bit->second;
    for (auto it = bd.addrs.begin(); it != bd.addrs.end();) {
      it = it->second == broker_addr ? bd.addrs.erase(it) : std::next(it);
    }
    if (!bd.addrs.empty()) {
      ++bit;
      continue;
    }
    // No address left for this broker name: it leaves its cluster and every topic.
    std::string name = bit->first;
    auto cit = clusters_.find(bd.cluster);
    if (cit != clusters_.end()) {
      cit->second.erase(name);
      if (cit->second.empty()) clusters_.erase(cit);
    }
    for (auto tit = topic_queue_.begin(); tit != topic_queue_.end();) {
      tit->second.erase(name);
      tit = tit->second.empty() ? topic_queue_.erase(tit) : std::next(tit);
    }
    log()->info("broker name {} has no live address left; removed from its cluster and topics", name);
    bit = brokers_.erase(bit);
  }
}

void route_info_manager::unregister_broker(const std::string&, const std::string& broker_addr,
                                           const std::string& broker_name, int64_t broker_id) {
  std::lock_guard lock(mu_);
  log()->info("unregister broker {} {} id {}", broker_name, broker_addr, broker_id);
  remove_broker_addr_locked(broker_addr);
}

std::optional<nlohmann::json> route_info_manager::route(const std::string& topic,
                                                        const std::optional<std::string>& order_conf) {
  std::lock_guard lock(mu_);
  auto it = topic_queue_.find(topic);
  if (it == topic_queue_.end() || it->second.empty()) return std::nullopt;
  nlohmann::json queue_datas = nlohmann::json::array();
  nlohmann::json broker_datas = nlohmann::json::array();
  for (auto& [name, q] : it->second) {
    queue_datas.push_back({{"brokerName", name},
                           {"perm", q.perm},
                           {"readQueueNums", q.read},
                           {"topicSysFlag", q.sys_flag},
                           {"writeQueueNums", q.write}});
    auto b = brokers_.find(name);
    if (b == brokers_.end()) continue;
    nlohmann::json addrs = nlohmann::json::object();
    for (auto& [id, addr] : b->second.addrs) addrs[std::to_string(id)] = addr;
    broker_datas.push_back({{"brokerAddrs", addrs}, {"brokerName", name}, {"cluster", b->second.cluster}});
  }
  if (broker_datas.empty()) return std::nullopt;
  nlohmann::json r = {{"brokerDatas", broker_datas},
                      {"filterServerTable", nlohmann::json::object()},
                      {"queueDatas", queue_datas}};
  if (order_conf) r["orderTopicConf"] = *order_conf;
  return r;
}

nlohmann::json route_info_manager::cluster_info() {
  std::lock_guard lock(mu_);
  nlohmann::json brokers = nlohmann::json::object();
  for (auto& [name, bd] : brokers_) {
    nlohmann::json addrs = nlohmann::json::object();
    for (auto& [id, addr] : bd.addrs) addrs[std::to_string(id)] = addr;
    brokers[name] = {{"brokerAddrs", addrs}, {"brokerName", name}, {"cluster", bd.cluster}};
  }
  nlohmann::json clusters = nlohmann::json::object();
  for (auto& [c, names] : clusters_) clusters[c] = std::vector<std::string>(names.begin(), names.end());
  return {{"brokerAddrTable", brokers}, {"clusterAddrTable", clusters}};
}

std::vector<std::string> route_info_manager::all_topics() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto& [t, q] : topic_queue_) out.push_back(t);
  return out;
}

std::vector<std::string> route_info_manager::topics_of_cluster(const std::string& cluster) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  auto c = clusters_.find(cluster);
  if (c == clusters_.end()) return out;
  for (auto& [t, q] : topic_queue_) {
    for (auto& [name, qd] : q) {
      if (c->second.count(name)) {
        out.push_back(t);
        break;
      }
    }
  }
  return out;
}

void route_info_manager::delete_topic(const std::string& topic, const std::optional<std::string>& cluster) {
  std::lock_guard lock(mu_);
  auto it = topic_queue_.find(topic);
  if (it == topic_queue_.end()) return;
  if (!cluster) {
    topic_queue_.erase(it);
    return;
  }
  auto c = clusters_.find(*cluster);
  if (c == clusters_.end()) return;
  for (auto& name : c->second) it->second.erase(name);
  if (it->second.empty()) topic_queue_.erase(it);
}

int route_info_manager::wipe_write_perm(const std::string& broker_name) {
  std::lock_guard lock(mu_);
  int n = 0;
  for (auto& [t, q] : topic_queue_) {
    auto it = q.find(broker_name);
    if (it == q.end()) continue;
    it->second.perm &= ~kPermWrite;
    ++n;
  }
  return n;
}

int route_info_manager::add_write_perm(const std::string& broker_name) {
  std::lock_guard lock(mu_);
  int n = 0;
  for (auto& [t, q] : topic_queue_) {
    auto it = q.find(broker_name);
    if (it == q.end()) continue;
    it->second.perm |= kPermWrite;
    ++n;
  }
  return n;
}

bool route_info_manager::data_version_changed(const std::string& broker_addr, const data_version& v, int64_t now_ms,
                                              std::optional<data_version>* ours) {
  std::lock_guard lock(mu_);
  auto it = live_.find(broker_addr);
  if (it == live_.end()) return true;
  it->second.last_update = now_ms;
  if (ours) *ours = it->second.version;
  return !(it->second.version == v);
}

std::vector<std::string> route_info_manager::scan_not_active(int64_t now_ms, int64_t expiry_ms) {
  std::lock_guard lock(mu_);
  std::vector<std::string> dead;
  for (auto& [addr, li] : live_) {
    if (now_ms - li.last_update > expiry_ms) dead.push_back(addr);
  }
  for (auto& addr : dead) {
    log()->warn("broker {} silent for more than {} ms; removed", addr, expiry_ms);
    remove_broker_addr_locked(addr);
  }
  return dead;
}

std::vector<std::string> route_info_manager::on_channel_closed(uint64_t channel) {
  std::lock_guard lock(mu_);
  std::vector<std::string> gone;
  for (auto& [addr, li] : live_) {
    if (li.channel == channel) gone.push_back(addr);
  }
  for (auto& addr : gone) {
    log()->info("connection of broker {} closed; removed", addr);
    remove_broker_addr_locked(addr);
  }
  return gone;
}

size_t route_info_manager::live_broker_count() {
  std::lock_guard lock(mu_);
  return live_.size();
}

std::vector<route_info_manager::live_broker> route_info_manager::live_brokers() {
  std::lock_guard lock(mu_);
  std::vector<live_broker> out;
  for (auto& [name, bd] : brokers_)
    for (auto& [id, addr] : bd.addrs) {
      auto it = live_.find(addr);
      if (it == live_.end()) continue;
      out.push_back({bd.cluster, name, addr, id, it->second.last_update});
    }
  return out;
}

}  // namespace mq::namesrv
