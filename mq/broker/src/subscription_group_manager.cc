#include "subscription_group_manager.h"

#include <chrono>

#include "json_file.h"
#include "clock.h"
#include "log.h"

namespace mq::broker {

nlohmann::json subscription_group_config::to_json() const {
  return {{"brokerId", broker_id},
          {"consumeBroadcastEnable", consume_broadcast_enable},
          {"consumeEnable", consume_enable},
          {"consumeFromMinEnable", consume_from_min_enable},
          {"groupName", group_name},
          {"notifyConsumerIdsChangedEnable", notify_consumer_ids_changed_enable},
          {"retryMaxTimes", retry_max_times},
          {"retryQueueNums", retry_queue_nums},
          {"whichBrokerWhenConsumeSlowly", which_broker_when_consume_slowly}};
}

std::optional<subscription_group_config> subscription_group_config::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  subscription_group_config c;
  try {
    c.group_name = j.value("groupName", std::string());
    c.consume_enable = j.value("consumeEnable", true);
    c.consume_from_min_enable = j.value("consumeFromMinEnable", true);
    c.consume_broadcast_enable = j.value("consumeBroadcastEnable", true);
    c.retry_queue_nums = j.value("retryQueueNums", 1);
    c.retry_max_times = j.value("retryMaxTimes", 16);
    c.broker_id = j.value("brokerId", int64_t{0});
    c.which_broker_when_consume_slowly = j.value("whichBrokerWhenConsumeSlowly", int64_t{1});
    c.notify_consumer_ids_changed_enable = j.value("notifyConsumerIdsChangedEnable", true);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (c.retry_queue_nums < 0 || c.retry_queue_nums > 1024 || c.retry_max_times < -1) return std::nullopt;
  return c;
}

subscription_group_manager::subscription_group_manager(std::string path) : path_(std::move(path)) {}

bool subscription_group_manager::load(std::string* error) {
  std::lock_guard lock(mu_);
  {
    auto j = load_json_file(path_);
    if (j) {
      if (auto t = j->find("subscriptionGroupTable"); t != j->end() && t->is_object()) {
        for (auto& [name, v] : t->items()) {
          auto c = subscription_group_config::from_json(v);
          if (!c) {
            *error = path_ + ": bad subscription group " + name;
            return false;
          }
          if (c->group_name.empty()) c->group_name = name;
          groups_[name] = *c;
        }
      }
      if (auto dv = j->find("dataVersion"); dv != j->end() && dv->is_object()) {
        version_.counter = dv->value("counter", int64_t{0});
        version_.timestamp = dv->value("timestamp", int64_t{0});
      }
    }
  }
  for (const char* g : {"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
                        "CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER"}) {
    if (!groups_.count(g)) {
      subscription_group_config c;
      c.group_name = g;
      groups_[g] = c;
    }
  }
  persist_locked();
  return true;
}

std::optional<subscription_group_config> subscription_group_manager::find(const std::string& group,
                                                                         bool auto_create) {
  std::lock_guard lock(mu_);
  if (auto it = groups_.find(group); it != groups_.end()) return it->second;
  if (!auto_create && group.rfind("CID_RMQ_SYS_", 0) != 0) return std::nullopt;
  subscription_group_config c;
  c.group_name = group;
  groups_[group] = c;
  log()->info("subscription group {} auto-created", group);
  version_.counter++;
  version_.timestamp = now_ms();
  persist_locked();
  return c;
}

void subscription_group_manager::update(const subscription_group_config& c) {
  std::lock_guard lock(mu_);
  groups_[c.group_name] = c;
  log()->info("subscription group {} updated", c.group_name);
  version_.counter++;
  version_.timestamp = now_ms();
  persist_locked();
}

bool subscription_group_manager::remove(const std::string& group) {
  std::lock_guard lock(mu_);
  if (groups_.erase(group) == 0) return false;
  log()->info("subscription group {} deleted", group);
  version_.counter++;
  version_.timestamp = now_ms();
  persist_locked();
  return true;
}

nlohmann::json subscription_group_manager::all_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json t = nlohmann::json::object();
  for (auto& [n, c] : groups_) t[n] = c.to_json();
  return {{"dataVersion", version_.to_json()}, {"subscriptionGroupTable", std::move(t)}};
}

void subscription_group_manager::persist_locked() {
  if (path_.empty()) return;
  nlohmann::json t = nlohmann::json::object();
  for (auto& [n, c] : groups_) t[n] = c.to_json();
  persist_json_file(path_, {{"dataVersion", version_.to_json()}, {"subscriptionGroupTable", std::move(t)}});
}

}  // namespace mq::broker
