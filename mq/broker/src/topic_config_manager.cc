#include "topic_config_manager.h"

#include <algorithm>
#include <chrono>

#include "json_file.h"
#include "clock.h"
#include "log.h"
#include "mq/common/message_const.h"

namespace mq::broker {

namespace {

template <class T>
bool read_field(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  try {
    out = it->get<T>();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

}  // namespace

nlohmann::json topic_config::to_json() const {
  return {{"order", order},
          {"perm", perm},
          {"readQueueNums", read_queue_nums},
          {"topicFilterType", topic_filter_type},
          {"topicName", topic_name},
          {"topicSysFlag", topic_sys_flag},
          {"writeQueueNums", write_queue_nums}};
}

std::optional<topic_config> topic_config::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  topic_config tc;
  bool ok = read_field(j, "topicName", tc.topic_name) && read_field(j, "readQueueNums", tc.read_queue_nums) &&
            read_field(j, "writeQueueNums", tc.write_queue_nums) && read_field(j, "perm", tc.perm) &&
            read_field(j, "topicFilterType", tc.topic_filter_type) &&
            read_field(j, "topicSysFlag", tc.topic_sys_flag) && read_field(j, "order", tc.order);
  if (!ok || tc.read_queue_nums < 0 || tc.write_queue_nums < 0 || tc.read_queue_nums > 65535 ||
      tc.write_queue_nums > 65535) {
    return std::nullopt;
  }
  return tc;
}

bool valid_topic_name(const std::string& topic, std::string* why) {
  if (topic.empty()) {
    *why = "The specified topic is blank.";
    return false;
  }
  if (topic.size() > 127) {
    *why = "The specified topic is longer than topic max length 127.";
    return false;
  }
  for (char c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '%' || c == '|' ||
              c == '_' || c == '-';
    if (!ok) {
      *why = "The specified topic[" + topic + "] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$";
      return false;
    }
  }
  return true;
}

bool is_send_forbidden_topic(const std::string& topic) {
  static const char* const forbidden[] = {"SCHEDULE_TOPIC_XXXX",        "RMQ_SYS_TRANS_HALF_TOPIC",
                                          "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC",
                                          "SELF_TEST_TOPIC",             "OFFSET_MOVED_EVENT"};
  return std::any_of(std::begin(forbidden), std::end(forbidden), [&](const char* t) { return topic == t; });
}

topic_config_manager::topic_config_manager(std::string path, std::string cluster_name, std::string broker_name)
    : path_(std::move(path)), cluster_name_(std::move(cluster_name)), broker_name_(std::move(broker_name)) {}

bool topic_config_manager::load(bool auto_create_topic_enable, int32_t default_topic_queue_nums,
                                bool cluster_topic_enable, bool broker_topic_enable, std::string* error) {
  std::lock_guard lock(mu_);
  {
    auto j = load_json_file(path_);
    if (j) {
      auto table = j->find("topicConfigTable");
      if (table != j->end() && table->is_object()) {
        for (auto& [name, v] : table->items()) {
          auto tc = topic_config::from_json(v);
          if (!tc) {
            *error = path_ + ": bad topic config for " + name;
            return false;
          }
          if (tc->topic_name.empty()) tc->topic_name = name;
          topics_[name] = *tc;
        }
      }
      if (auto dv = j->find("dataVersion"); dv != j->end() && dv->is_object()) {
        version_.counter = dv->value("counter", int64_t{0});
        version_.timestamp = dv->value("timestamp", int64_t{0});
      }
      log()->info("loaded {} topics from {}", topics_.size(), path_);
    }
  }
  // Built-in topics (TopicConfigManager's constructor), created when absent.
  auto builtin = [&](const std::string& name, int32_t q, int32_t p) {
    if (topics_.count(name)) return;
    topic_config tc;
    tc.topic_name = name;
    tc.read_queue_nums = tc.write_queue_nums = q;
    tc.perm = p;
    topics_[name] = tc;
  };
  builtin("SELF_TEST_TOPIC", 1, 6);
  if (auto_create_topic_enable) {
    builtin("TBW102", default_topic_queue_nums, perm::read | perm::write | perm::inherit);
  } else if (auto it = topics_.find("TBW102"); it != topics_.end()) {
    it->second.perm &= ~perm::inherit;  // no auto-creation through it
  }
  builtin("BenchmarkTest", 1024, 6);
  builtin(cluster_name_, 16, cluster_topic_enable ? 7 : 6);
  builtin(broker_name_, 1, broker_topic_enable ? 7 : 6);
  builtin("OFFSET_MOVED_EVENT", 1, 6);
  builtin(std::string(mq::schedule_topic), 18, 6);
  builtin(cluster_name_ + "_REPLY_TOPIC", 1, 6);
  bump_locked();
  persist_locked();
  return true;
}

std::optional<topic_config> topic_config_manager::find(const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return std::nullopt;
  return it->second;
}

void topic_config_manager::update(const topic_config& tc) {
  std::lock_guard lock(mu_);
  topics_[tc.topic_name] = tc;
  log()->info("topic {} updated: read {} write {} perm {} order {}", tc.topic_name, tc.read_queue_nums,
              tc.write_queue_nums, tc.perm, tc.order);
  bump_locked();
  persist_locked();
}

bool topic_config_manager::remove(const std::string& topic) {
  std::lock_guard lock(mu_);
  if (topics_.erase(topic) == 0) return false;
  log()->info("topic {} deleted", topic);
  bump_locked();
  persist_locked();
  return true;
}

std::optional<topic_config> topic_config_manager::create_from_default(const std::string& topic,
                                                                      const std::string& default_topic,
                                                                      int32_t requested_queue_nums,
                                                                      int32_t topic_sys_flag, bool* created) {
  std::lock_guard lock(mu_);
  *created = false;
  if (auto it = topics_.find(topic); it != topics_.end()) return it->second;
  auto def = topics_.find(default_topic);
  if (def == topics_.end() || (def->second.perm & perm::inherit) == 0) return std::nullopt;
  topic_config tc;
  tc.topic_name = topic;
  int32_t q = std::min(std::max(requested_queue_nums, 1), def->second.write_queue_nums);
  tc.read_queue_nums = tc.write_queue_nums = q;
  tc.perm = def->second.perm & ~perm::inherit;
  tc.topic_filter_type = def->second.topic_filter_type;
  tc.topic_sys_flag = topic_sys_flag;
  topics_[topic] = tc;
  *created = true;
  log()->info("topic {} auto-created from {} with {} queues", topic, default_topic, q);
  bump_locked();
  persist_locked();
  return tc;
}

topic_config topic_config_manager::create_if_missing(const std::string& topic, int32_t queue_nums, int32_t p,
                                                     int32_t topic_sys_flag, bool* created) {
  std::lock_guard lock(mu_);
  *created = false;
  if (auto it = topics_.find(topic); it != topics_.end()) return it->second;
  topic_config tc;
  tc.topic_name = topic;
  tc.read_queue_nums = tc.write_queue_nums = queue_nums;
  tc.perm = p;
  tc.topic_sys_flag = topic_sys_flag;
  topics_[topic] = tc;
  *created = true;
  log()->info("topic {} created with {} queues, perm {}", topic, queue_nums, p);
  bump_locked();
  persist_locked();
  return tc;
}

nlohmann::json topic_config_manager::wrapper_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json table = nlohmann::json::object();
  for (auto& [name, tc] : topics_) table[name] = tc.to_json();
  return {{"dataVersion", version_.to_json()}, {"topicConfigTable", std::move(table)}};
}

data_version topic_config_manager::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

std::vector<std::string> topic_config_manager::topic_names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto& [n, tc] : topics_) out.push_back(n);
  return out;
}

std::map<std::string, topic_config> topic_config_manager::all() const {
  std::lock_guard lock(mu_);
  return topics_;
}

void topic_config_manager::bump_locked() {
  version_.counter++;
  version_.timestamp = std::max(now_ms(), version_.timestamp);
}

void topic_config_manager::persist_locked() {
  if (path_.empty()) return;
  nlohmann::json table = nlohmann::json::object();
  for (auto& [name, tc] : topics_) table[name] = tc.to_json();
  persist_json_file(path_, {{"dataVersion", version_.to_json()}, {"topicConfigTable", std::move(table)}});
}

}  // namespace mq::broker
