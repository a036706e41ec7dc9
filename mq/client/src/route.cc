#include "mq/client/topic_route.h"

#include <algorithm>

#include "mq/remoting/json.h"

namespace mq::client {

std::string broker_data::master_addr() const {
  auto it = addrs.find(0);
  return it == addrs.end() ? std::string() : it->second;
}

std::string broker_data::any_addr() const {
  auto m = master_addr();
  if (!m.empty()) return m;
  return addrs.empty() ? std::string() : addrs.begin()->second;
}

const broker_data* topic_route::broker(std::string_view name) const {
  for (auto& b : brokers)
    if (b.broker_name == name) return &b;
  return nullptr;
}

std::vector<message_queue> topic_route::publish_queues(const std::string& topic) const {
  std::vector<message_queue> out;
  if (!order_topic_conf.empty()) {
    // "brokerName:num;brokerName:num"
    std::string_view conf = order_topic_conf;
    while (!conf.empty()) {
      auto semi = conf.find(';');
      auto item = conf.substr(0, semi);
      conf = semi == std::string_view::npos ? std::string_view() : conf.substr(semi + 1);
      auto colon = item.find(':');
      if (colon == std::string_view::npos) continue;
      int n = 0;
      for (char c : item.substr(colon + 1)) {
        if (c < '0' || c > '9') break;
        n = n * 10 + (c - '0');
        if (n > 65535) break;
      }
      for (int i = 0; i < n; ++i) out.push_back({topic, std::string(item.substr(0, colon)), i});
    }
    return out;
  }
  std::vector<queue_data> sorted = queues;
  std::sort(sorted.begin(), sorted.end(),
            [](const queue_data& a, const queue_data& b) { return a.broker_name < b.broker_name; });
  for (auto& q : sorted) {
    if (!(q.perm & perm_write)) continue;
    auto* b = broker(q.broker_name);
    if (!b || b->master_addr().empty()) continue;
    for (int32_t i = 0; i < q.write_queue_nums; ++i) out.push_back({topic, q.broker_name, i});
  }
  return out;
}

std::vector<message_queue> topic_route::subscribe_queues(const std::string& topic) const {
  std::vector<message_queue> out;
  for (auto& q : queues) {
    if (!(q.perm & perm_read)) continue;
    for (int32_t i = 0; i < q.read_queue_nums; ++i) out.push_back({topic, q.broker_name, i});
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<topic_route> parse_topic_route(std::string_view body) {
  auto j = remoting::parse_lenient(body);
  if (!j || !j->is_object()) return std::nullopt;
  try {
    topic_route r;
    if (auto it = j->find("orderTopicConf"); it != j->end() && it->is_string()) r.order_topic_conf = *it;
    if (auto it = j->find("queueDatas"); it != j->end() && it->is_array()) {
      for (auto& q : *it) {
        queue_data d;
        d.broker_name = q.at("brokerName").get<std::string>();
        d.read_queue_nums = q.at("readQueueNums").get<int32_t>();
        d.write_queue_nums = q.at("writeQueueNums").get<int32_t>();
        d.perm = q.at("perm").get<int32_t>();
        if (d.read_queue_nums < 0 || d.write_queue_nums < 0 || d.read_queue_nums > 65535 ||
            d.write_queue_nums > 65535)
          return std::nullopt;
        r.queues.push_back(std::move(d));
      }
    }
    if (auto it = j->find("brokerDatas"); it != j->end() && it->is_array()) {
      for (auto& b : *it) {
        broker_data d;
        if (auto c = b.find("cluster"); c != b.end() && c->is_string()) d.cluster = *c;
        d.broker_name = b.at("brokerName").get<std::string>();
        if (auto a = b.find("brokerAddrs"); a != b.end() && a->is_object()) {
          for (auto& [k, v] : a->items()) d.addrs[std::stoll(k)] = v.get<std::string>();
        }
        r.brokers.push_back(std::move(d));
      }
    }
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace mq::client
