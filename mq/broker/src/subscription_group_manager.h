// Subscription groups (B/subscription/SubscriptionGroupManager.java): per
// consumer group settings (consumeEnable, consumeBroadcastEnable,
// retryQueueNums, retryMaxTimes, ...), auto-created on first use when
// autoCreateSubscriptionGroup, persisted to config/subscriptionGroup.json
// (rocketmq-protocol.md §5.6).
//
// Thread-safety: every member is thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "topic_config_manager.h"  // data_version

namespace mq::broker {

struct subscription_group_config {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;

  nlohmann::json to_json() const;
  static std::optional<subscription_group_config> from_json(const nlohmann::json& j);
};

class subscription_group_manager {
 public:
  explicit subscription_group_manager(std::string path);
  bool load(std::string* error);

  // The group's config; created with the defaults when missing and
  // `auto_create` (or the group is a CID_RMQ_SYS_ one).
  std::optional<subscription_group_config> find(const std::string& group, bool auto_create);
  void update(const subscription_group_config& c);
  bool remove(const std::string& group);
  nlohmann::json all_json() const;  // subscriptionGroup.json shape

 private:
  void persist_locked();

  const std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, subscription_group_config> groups_;  // GUARDED_BY(mu_)
  data_version version_;                                     // GUARDED_BY(mu_)
};

}  // namespace mq::broker
