// TopicRouteData (rocketmq-protocol.md §3.1) and what producers and
// consumers derive from it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mq/client/client_options.h"

namespace mq::client {

inline constexpr int perm_write = 2;
inline constexpr int perm_read = 4;

struct queue_data {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  bool operator==(const queue_data&) const = default;
};

struct broker_data {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> addrs;  // brokerId -> "ip:port"; 0 = master
  bool operator==(const broker_data&) const = default;
  // The master's address, or "" when the master is not registered.
  std::string master_addr() const;
  // Master if present, else the lowest-id slave.
  std::string any_addr() const;
};

struct topic_route {
  std::string order_topic_conf;
  std::vector<queue_data> queues;
  std::vector<broker_data> brokers;
  bool operator==(const topic_route&) const = default;

  // Writable queues of brokers that have a master, in broker order
  // (Java topicRouteData2TopicPublishInfo). With `order_topic_conf`
  // ("b:4;c:4") the queues come from it instead.
  std::vector<message_queue> publish_queues(const std::string& topic) const;
  // Readable queues, sorted (topicRouteData2TopicSubscribeInfo).
  std::vector<message_queue> subscribe_queues(const std::string& topic) const;
  const broker_data* broker(std::string_view name) const;
};

// Parses a GET_ROUTEINFO_BY_TOPIC body (fastjson keys accepted). nullopt on
// malformed JSON or missing required fields.
std::optional<topic_route> parse_topic_route(std::string_view body);

}  // namespace mq::client
