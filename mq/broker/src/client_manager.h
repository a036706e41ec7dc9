// Who is connected (B/client/ConsumerManager.java, ProducerManager.java,
// B/client/rebalance/RebalanceLockManager.java): consumer groups with their
// channels and subscriptions from HEART_BEAT, producer groups, and the
// per-queue locks of orderly consumers (rocketmq-protocol.md §3.3, §6.4).
//
// Thread-safety: every member is thread-safe (one mutex per class).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mq/remoting/channel.h"

namespace mq::broker {

struct subscription_data {
  std::string topic;
  std::string sub_string = "*";
  std::set<std::string> tags_set;
  std::set<int32_t> code_set;
  int64_t sub_version = 0;
  std::string expression_type = "TAG";
  bool class_filter_mode = false;

  bool accepts_all() const { return sub_string.empty() || sub_string == "*"; }
  // The consume-queue tag filter (ExpressionMessageFilter.isMatchedByConsumeQueue).
  bool matches_tags_code(int64_t tags_code) const {
    return accepts_all() || code_set.count(static_cast<int32_t>(tags_code)) != 0;
  }
  nlohmann::json to_json() const;
  static std::optional<subscription_data> from_json(const nlohmann::json& j);
  // FilterAPI.buildSubscriptionData: "*" or "TagA || TagB" (blank items dropped).
  static subscription_data build(const std::string& topic, const std::string& expression, int64_t sub_version);
};

struct client_channel {
  remoting::channel_ptr ch;
  std::string client_id;
  std::string language = "JAVA";
  int32_t version = 0;
  int64_t last_update_ms = 0;
  nlohmann::json to_json() const;  // Connection: clientAddr, clientId, language, version
};

struct consumer_group_info {
  std::string group;
  std::string consume_type = "CONSUME_PASSIVELY";
  std::string message_model = "CLUSTERING";
  std::string consume_from_where = "CONSUME_FROM_LAST_OFFSET";
  std::map<std::string, subscription_data> subscriptions;  // topic -> data
  std::map<uint64_t, client_channel> channels;             // channel id -> client
};

struct message_queue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;
  auto operator<=>(const message_queue&) const = default;
  nlohmann::json to_json() const {
    return {{"brokerName", broker_name}, {"queueId", queue_id}, {"topic", topic}};
  }
  static std::optional<message_queue> from_json(const nlohmann::json& j);
};

class consumer_manager {
 public:
  // Returns true when the group's membership or subscribed topics changed
  // (the caller then notifies the group's channels).
  bool register_consumer(const std::string& group, const client_channel& client, const std::string& consume_type,
                         const std::string& message_model, const std::string& consume_from_where,
                         const std::vector<subscription_data>& subs);
  // Removes the client's channel from the group; true when it was there.
  bool unregister_consumer(const std::string& group, uint64_t channel_id);
  // A closed channel leaves every group; returns the groups it left.
  std::vector<std::string> on_channel_closed(uint64_t channel_id);
  // Drop channels silent for longer than `timeout_ms`; returns the groups
  // that lost members, and closes the dropped channels.
  std::vector<std::string> scan_expired(int64_t now_ms, int64_t timeout_ms);

  std::optional<consumer_group_info> group(const std::string& group) const;
  std::optional<subscription_data> subscription(const std::string& group, const std::string& topic) const;
  std::vector<std::string> client_ids(const std::string& group) const;
  std::vector<remoting::channel_ptr> channels(const std::string& group) const;
  std::vector<std::string> groups_of_topic(const std::string& topic) const;
  // Group -> clients connected now (/metrics).
  std::map<std::string, size_t> connection_counts() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, consumer_group_info> groups_;  // GUARDED_BY(mu_)
};

class producer_manager {
 public:
  void register_producer(const std::string& group, const client_channel& client);
  void unregister_producer(const std::string& group, uint64_t channel_id);
  void on_channel_closed(uint64_t channel_id);
  void scan_expired(int64_t now_ms, int64_t timeout_ms);
  std::vector<client_channel> channels(const std::string& group) const;
  std::map<std::string, size_t> connection_counts() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<uint64_t, client_channel>> groups_;  // GUARDED_BY(mu_)
};

class rebalance_lock_manager {
 public:
  explicit rebalance_lock_manager(int64_t max_live_ms) : max_live_ms_(max_live_ms) {}
  // Locks what is free, expired or already ours; returns what the client now holds.
  std::set<message_queue> try_lock_batch(const std::string& group, const std::set<message_queue>& mqs,
                                         const std::string& client_id, int64_t now_ms);
  void unlock_batch(const std::string& group, const std::set<message_queue>& mqs, const std::string& client_id);

 private:
  struct entry {
    std::string client_id;
    int64_t last_update_ms = 0;
  };
  const int64_t max_live_ms_;
  std::mutex mu_;
  std::map<std::string, std::map<message_queue, entry>> locks_;  // GUARDED_BY(mu_)
};

}  // namespace mq::broker
