// Committed consumer offsets (B/offset/ConsumerOffsetManager.java): per
// "topic@group" and queue id, the next offset to consume. Written by
// UPDATE_CONSUMER_OFFSET and the pull piggyback; persisted to
// config/consumerOffset.json periodically and at shutdown (§5.6).
//
// Thread-safety: every member is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace mq::broker {

class consumer_offset_manager {
 public:
  explicit consumer_offset_manager(std::string path);
  bool load(std::string* error);
  // Write consumerOffset.json if anything changed since the last persist.
  void persist();

  void commit(const std::string& group, const std::string& topic, int32_t queue_id, int64_t offset);
  // The stored offset, std::nullopt when none (a stored value < 0 counts as none).
  std::optional<int64_t> query(const std::string& group, const std::string& topic, int32_t queue_id) const;
  std::map<int32_t, int64_t> offsets(const std::string& group, const std::string& topic) const;
  std::set<std::string> groups_of_topic(const std::string& topic) const;
  std::set<std::string> topics_of_group(const std::string& group) const;
  void remove_topic(const std::string& topic);
  void remove_group(const std::string& group);
  nlohmann::json all_json() const;  // {"offsetTable":{"t@g":{"0":5}}}
  // A slave takes its master's table (GET_ALL_CONSUMER_OFFSET).
  void replace_all(const nlohmann::json& j);

 private:
  nlohmann::json to_json_locked() const;

  const std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<int32_t, int64_t>> table_;  // GUARDED_BY(mu_) "topic@group" -> q -> offset
  bool dirty_ = false;                                       // GUARDED_BY(mu_)
};

}  // namespace mq::broker
