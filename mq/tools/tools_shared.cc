#include "tools_shared.h"

#include <ctime>

namespace mq::tools {

std::string iso_time(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
}

bool printable(const std::string& body) {
  for (size_t i = 0; i < body.size();) {
    auto c = static_cast<unsigned char>(body[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return false;
      ++i;
      continue;
    }
    // A UTF-8 sequence: lead byte, then continuation bytes 10xxxxxx.
    size_t n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
    if (n == 0 || c == 0xc0 || c == 0xc1) return false;
    for (size_t k = 1; k <= n; ++k)
      if (i + k >= body.size() || (static_cast<unsigned char>(body[i + k]) & 0xc0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}

nlohmann::json message_json(const message_ext& m) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  hex.reserve(m.body.size() * 2);
  for (unsigned char c : m.body) {
    hex.push_back(digits[c >> 4]);
    hex.push_back(digits[c & 15]);
  }
  auto prop = [&](const char* k) { return m.properties.count(k) ? m.properties.at(k) : std::string(); };
  return {{"topic", m.topic},
          {"queueId", m.queue_id},
          {"queueOffset", m.queue_offset},
          {"offsetMsgId", m.msg_id},
          {"msgId", prop("UNIQ_KEY")},
          {"tags", m.tags()},
          {"keys", prop("KEYS")},
          {"storeTime", iso_time(m.store_timestamp)},
          {"storeTimestamp", m.store_timestamp},
          {"bornTimestamp", m.born_timestamp},
          {"reconsumeTimes", m.reconsume_times},
          {"properties", m.properties},
          {"body", printable(m.body) ? nlohmann::json(m.body) : nlohmann::json(nullptr)},
          {"bodyHex", hex},
          {"bodySize", m.body.size()}};
}

nlohmann::json route_json(const client::topic_route& r) {
  nlohmann::json q = nlohmann::json::array(), b = nlohmann::json::array();
  for (auto& x : r.queues)
    q.push_back({{"brokerName", x.broker_name}, {"readQueueNums", x.read_queue_nums},
                 {"writeQueueNums", x.write_queue_nums}, {"perm", x.perm}});
  for (auto& x : r.brokers)
    for (auto& [id, addr] : x.addrs)
      b.push_back({{"cluster", x.cluster}, {"brokerName", x.broker_name}, {"brokerId", id}, {"address", addr}});
  return {{"queueDatas", q}, {"brokerDatas", b}, {"orderTopicConf", r.order_topic_conf}};
}

void each_broker(const client::cluster_info& ci,
                 const std::function<void(const std::string&, const std::string&, int64_t, const std::string&)>& fn) {
  for (auto& [cluster, names] : ci.clusters)
    for (auto& n : names) {
      auto it = ci.brokers.find(n);
      if (it == ci.brokers.end()) continue;
      for (auto& [id, addr] : it->second.addrs) fn(cluster, n, id, addr);
    }
}

}  // namespace mq::tools
