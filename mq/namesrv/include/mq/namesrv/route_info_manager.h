// The name server's routing state (RocketMQ's RouteInfoManager,
// rocketmq-protocol.md §6.1): which brokers serve which topics, brokers by
// name and cluster, and broker liveness. No networking here: the request
// processors (namesrv_controller) call these with decoded bodies.
//
// Thread-safety: every member is thread-safe (one internal mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mq::namesrv {

struct data_version {
  int64_t counter = 0;
  int64_t timestamp = 0;
  bool operator==(const data_version&) const = default;
};

struct topic_config {
  std::string topic_name;
  int32_t read_queue_nums = 16;
  int32_t write_queue_nums = 16;
  int32_t perm = 6;
  std::string topic_filter_type = "SINGLE_TAG";
  int32_t topic_sys_flag = 0;
  bool order = false;
};

// What a broker registers: its topic configs and their data version
// (TopicConfigSerializeWrapper) plus the filter-server list.
struct register_body {
  data_version version;
  std::map<std::string, topic_config> topics;
  std::vector<std::string> filter_servers;
};

// Parse a REGISTER_BROKER body (RegisterBrokerBody JSON, or a bare
// TopicConfigSerializeWrapper for very old brokers; fastjson quirks
// accepted). std::nullopt + *error when it is not one.
std::optional<register_body> parse_register_body(std::string_view json, std::string* error);

struct register_result {
  std::string master_addr;     // for a slave whose master is live
  std::string ha_server_addr;  // that master's HA address
};

class route_info_manager {
 public:
  // `channel` identifies the broker's connection (closing it drops the broker).
  register_result register_broker(const std::string& cluster, const std::string& broker_addr,
                                  const std::string& broker_name, int64_t broker_id,
                                  const std::string& ha_server_addr, const register_body& body, uint64_t channel,
                                  int64_t now_ms);
  void unregister_broker(const std::string& cluster, const std::string& broker_addr,
                         const std::string& broker_name, int64_t broker_id);

  // TopicRouteData JSON (§3.1), or std::nullopt when the topic has no queue
  // data or no broker data. `order_conf` goes into orderTopicConf when set.
  std::optional<nlohmann::json> route(const std::string& topic, const std::optional<std::string>& order_conf);
  nlohmann::json cluster_info();                        // ClusterInfo (§3.4)
  std::vector<std::string> all_topics();
  std::vector<std::string> topics_of_cluster(const std::string& cluster);
  void delete_topic(const std::string& topic, const std::optional<std::string>& cluster);
  // Clear (wipe) or set (add) PERM_WRITE on every topic of a broker name;
  // returns the number of topics changed.
  int wipe_write_perm(const std::string& broker_name);
  int add_write_perm(const std::string& broker_name);
  // QUERY_DATA_VERSION: true when the broker's version differs from ours;
  // refreshes its liveness either way. Unknown broker: changed.
  bool data_version_changed(const std::string& broker_addr, const data_version& v, int64_t now_ms,
                            std::optional<data_version>* ours);

  // Drop brokers silent for longer than `expiry_ms`; returns their addresses.
  std::vector<std::string> scan_not_active(int64_t now_ms, int64_t expiry_ms);
  // The connection `channel` closed: drop the broker(s) registered on it.
  std::vector<std::string> on_channel_closed(uint64_t channel);
  size_t live_broker_count();
  // Every live broker address with its last heartbeat (/metrics).
  struct live_broker {
    std::string cluster, broker_name, address;
    int64_t broker_id = 0;
    int64_t last_update_ms = 0;
  };
  std::vector<live_broker> live_brokers();

 private:
  struct queue_data {
    int32_t read = 0, write = 0, perm = 0, sys_flag = 0;
  };
  struct broker_data {
    std::string cluster;
    std::map<int64_t, std::string> addrs;  // brokerId -> address
  };
  struct live_info {
    int64_t last_update = 0;
    data_version version;
    uint64_t channel = 0;
    std::string ha_server_addr;
  };

  void remove_broker_addr_locked(const std::string& broker_addr);  // REQUIRES(mu_)

  std::mutex mu_;
  std::map<std::string, std::map<std::string, queue_data>> topic_queue_;  // topic -> brokerName -> queue
  std::map<std::string, broker_data> brokers_;                            // brokerName -> data
  std::map<std::string, std::set<std::string>> clusters_;                 // cluster -> brokerNames
  std::map<std::string, live_info> live_;                                 // brokerAddr -> liveness
};

}  // namespace mq::namesrv
