#include "consumer_offset_manager.h"

#include <cstdlib>

#include "json_file.h"
#include "log.h"

namespace mq::broker {

namespace {
std::string key_of(const std::string& topic, const std::string& group) { return topic + "@" + group; }
}  // namespace

consumer_offset_manager::consumer_offset_manager(std::string path) : path_(std::move(path)) {}

bool consumer_offset_manager::load(std::string* error) {
  auto j = load_json_file(path_);
  if (!j) return true;
  auto t = j->find("offsetTable");
  if (t == j->end() || !t->is_object()) return true;
  std::lock_guard lock(mu_);
  for (auto& [key, queues] : t->items()) {
    if (!queues.is_object() || key.find('@') == std::string::npos) {
      *error = path_ + ": bad entry " + key;
      return false;
    }
    for (auto& [q, off] : queues.items()) {
      char* end = nullptr;
      long qid = std::strtol(q.c_str(), &end, 10);
      if (*end != '\0' || !off.is_number_integer()) {
        *error = path_ + ": bad queue entry in " + key;
        return false;
      }
      table_[key][static_cast<int32_t>(qid)] = off.get<int64_t>();
    }
  }
  log()->info("loaded consumer offsets of {} topic@group pairs from {}", table_.size(), path_);
  return true;
}

nlohmann::json consumer_offset_manager::to_json_locked() const {
  nlohmann::json t = nlohmann::json::object();
  for (auto& [key, queues] : table_) {
    nlohmann::json q = nlohmann::json::object();
    for (auto& [id, off] : queues) q[std::to_string(id)] = off;
    t[key] = std::move(q);
  }
  return {{"offsetTable", std::move(t)}};
}

void consumer_offset_manager::persist() {
  if (path_.empty()) return;
  nlohmann::json j;
  {
    std::lock_guard lock(mu_);
    if (!dirty_) return;
    dirty_ = false;
    j = to_json_locked();
  }
  if (!persist_json_file(path_, j)) {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
}

void consumer_offset_manager::commit(const std::string& group, const std::string& topic, int32_t queue_id,
                                     int64_t offset) {
  std::lock_guard lock(mu_);
  auto& slot = table_[key_of(topic, group)][queue_id];
  slot = offset;
  dirty_ = true;
}

std::optional<int64_t> consumer_offset_manager::query(const std::string& group, const std::string& topic,
                                                      int32_t queue_id) const {
  std::lock_guard lock(mu_);
  auto it = table_.find(key_of(topic, group));
  if (it == table_.end()) return std::nullopt;
  auto q = it->second.find(queue_id);
  if (q == it->second.end() || q->second < 0) return std::nullopt;
  return q->second;
}

std::map<int32_t, int64_t> consumer_offset_manager::offsets(const std::string& group,
                                                            const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto it = table_.find(key_of(topic, group));
  return it == table_.end() ? std::map<int32_t, int64_t>{} : it->second;
}

std::set<std::string> consumer_offset_manager::groups_of_topic(const std::string& topic) const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (auto& [key, q] : table_) {
    auto at = key.rfind('@');
    if (key.compare(0, at, topic) == 0 && at == topic.size()) out.insert(key.substr(at + 1));
  }
  return out;
}

std::set<std::string> consumer_offset_manager::topics_of_group(const std::string& group) const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (auto& [key, q] : table_) {
    auto at = key.rfind('@');
    if (key.substr(at + 1) == group) out.insert(key.substr(0, at));
  }
  return out;
}

void consumer_offset_manager::remove_topic(const std::string& topic) {
  std::lock_guard lock(mu_);
  for (auto it = table_.begin(); it != table_.end();) {
    auto at = it->first.rfind('@');
    if (it->first.compare(0, at, topic) == 0 && at == topic.size()) {
      it = table_.erase(it);
      dirty_ = true;
    } else {
      ++it;
    }
  }
}

void consumer_offset_manager::remove_group(const std::string& group) {
  std::lock_guard lock(mu_);
  for (auto it = table_.begin(); it != table_.end();) {
    if (it->first.substr(it->first.rfind('@') + 1) == group) {
      it = table_.erase(it);
      dirty_ = true;
    } else {
      ++it;
    }
  }
}

void consumer_offset_manager::replace_all(const nlohmann::json& j) {
  auto t = j.find("offsetTable");
  if (t == j.end() || !t->is_object()) return;
  std::map<std::string, std::map<int32_t, int64_t>> table;
  for (auto& [key, queues] : t->items()) {
    if (!queues.is_object() || key.find('@') == std::string::npos) return;  // malformed: keep ours
    for (auto& [q, off] : queues.items()) {
      char* end = nullptr;
      long qid = std::strtol(q.c_str(), &end, 10);
      if (*end != '\0' || !off.is_number_integer()) return;
      table[key][static_cast<int32_t>(qid)] = off.get<int64_t>();
    }
  }
  std::lock_guard lock(mu_);
  if (table != table_) {
    table_ = std::move(table);
    dirty_ = true;
  }
}

nlohmann::json consumer_offset_manager::all_json() const {
  std::lock_guard lock(mu_);
  return to_json_locked();
}

}  // namespace mq::broker
