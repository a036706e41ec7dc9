// The broker's topics (B/topic/TopicConfigManager.java): the config of every
// topic this broker serves, the DataVersion bumped on each change, and
// config/topics.json (TopicConfigSerializeWrapper, rocketmq-protocol.md §3.2,
// §5.6), written atomically on every change.
//
// Thread-safety: every member is thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mq::broker {

// PermName (C/constant/PermName.java).
namespace perm {
inline constexpr int32_t priority = 8;
inline constexpr int32_t read = 4;
inline constexpr int32_t write = 2;
inline constexpr int32_t inherit = 1;
inline bool readable(int32_t p) { return (p & read) != 0; }
inline bool writeable(int32_t p) { return (p & write) != 0; }
}  // namespace perm

struct data_version {
  int64_t counter = 0;
  int64_t timestamp = 0;
  nlohmann::json to_json() const { return {{"counter", counter}, {"timestamp", timestamp}}; }
};

struct topic_config {
  std::string topic_name;
  int32_t read_queue_nums = 16;
  int32_t write_queue_nums = 16;
  int32_t perm = 6;
  std::string topic_filter_type = "SINGLE_TAG";  // or MULTI_TAG
  int32_t topic_sys_flag = 0;
  bool order = false;

  nlohmann::json to_json() const;
  // Lenient: missing fields keep their defaults; wrong types are an error.
  static std::optional<topic_config> from_json(const nlohmann::json& j);
};

// TopicValidator: 1..127 chars of [%|a-zA-Z0-9_-].
bool valid_topic_name(const std::string& topic, std::string* why);
// Topics a producer may not send to (TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET).
bool is_send_forbidden_topic(const std::string& topic);

class topic_config_manager {
 public:
  // `path` = <storePathRootDir>/config/topics.json ("" = not persisted).
  topic_config_manager(std::string path, std::string cluster_name, std::string broker_name);

  // Read topics.json (or its .bak), then create the built-in topics.
  bool load(bool auto_create_topic_enable, int32_t default_topic_queue_nums, bool cluster_topic_enable,
            bool broker_topic_enable, std::string* error);

  std::optional<topic_config> find(const std::string& topic) const;
  // Create or replace; bumps the data version and persists.
  void update(const topic_config& tc);
  bool remove(const std::string& topic);

  // Send-path auto-creation from `default_topic` (TBW102): needs the
  // default topic to exist with PERM_INHERIT; queues = min(requested,
  // default's write queues). Returns the new config and sets *created.
  std::optional<topic_config> create_from_default(const std::string& topic, const std::string& default_topic,
                                                  int32_t requested_queue_nums, int32_t topic_sys_flag,
                                                  bool* created);
  // Create `topic` if missing (retry / DLQ topics); sets *created.
  topic_config create_if_missing(const std::string& topic, int32_t queue_nums, int32_t perm,
                                 int32_t topic_sys_flag, bool* created);

  // TopicConfigSerializeWrapper JSON.
  nlohmann::json wrapper_json() const;
  data_version version() const;
  std::vector<std::string> topic_names() const;
  std::map<std::string, topic_config> all() const;

 private:
  void bump_locked();      // REQUIRES(mu_)
  void persist_locked();   // REQUIRES(mu_)

  const std::string path_;
  const std::string cluster_name_;
  const std::string broker_name_;
  mutable std::mutex mu_;
  std::map<std::string, topic_config> topics_;  // GUARDED_BY(mu_)
  data_version version_;                        // GUARDED_BY(mu_)
};

}  // namespace mq::broker
