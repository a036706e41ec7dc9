#include "client_manager.h"

#include "log.h"
#include "mq/common/tag_hash.h"

namespace mq::broker {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

nlohmann::json subscription_data::to_json() const {
  return {{"classFilterMode", class_filter_mode}, {"codeSet", code_set},       {"expressionType", expression_type},
          {"subString", sub_string},              {"subVersion", sub_version}, {"tagsSet", tags_set},
          {"topic", topic}};
}

std::optional<subscription_data> subscription_data::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  subscription_data s;
  try {
    s.topic = j.value("topic", std::string());
    s.sub_string = j.value("subString", std::string("*"));
    s.sub_version = j.value("subVersion", int64_t{0});
    s.class_filter_mode = j.value("classFilterMode", false);
    if (auto t = j.find("expressionType"); t != j.end() && t->is_string()) s.expression_type = t->get<std::string>();
    if (auto t = j.find("tagsSet"); t != j.end() && t->is_array()) {
      for (auto& x : *t) s.tags_set.insert(x.get<std::string>());
    }
    if (auto t = j.find("codeSet"); t != j.end() && t->is_array()) {
      for (auto& x : *t) s.code_set.insert(x.get<int32_t>());
    }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (s.topic.empty()) return std::nullopt;
  // A client that sent tags but no codes (or codes we would compute
  // differently) still filters right: the codes follow from the tags.
  if (s.expression_type == "TAG" && !s.accepts_all() && s.code_set.empty()) {
    for (auto& t : s.tags_set) s.code_set.insert(java_string_hash(t));
  }
  return s;
}

subscription_data subscription_data::build(const std::string& topic, const std::string& expression,
                                           int64_t sub_version) {
  subscription_data s;
  s.topic = topic;
  s.sub_version = sub_version;
  std::string_view e = trim(expression);
  if (e.empty() || e == "*") return s;  // sub_string defaults to "*"

  s.sub_string = std::string(e);
  while (true) {
    size_t bar = e.find("||");
    std::string_view tag = trim(e.substr(0, bar));
    if (!tag.empty()) {
      s.tags_set.emplace(tag);
      s.code_set.insert(java_string_hash(tag));
    }
    if (bar == std::string_view::npos) break;
    e.remove_prefix(bar + 2);
  }
  return s;
}

nlohmann::json client_channel::to_json() const {
  return {{"clientAddr", ch ? ch->remote_address() : std::string()},
          {"clientId", client_id},
          {"language", language},
          {"version", version}};
}

std::optional<message_queue> message_queue::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  try {
    message_queue mq;
    mq.topic = j.at("topic").get<std::string>();
    mq.broker_name = j.value("brokerName", std::string());
    mq.queue_id = j.at("queueId").get<int32_t>();
    return mq;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// ---- consumer_manager -------------------------------------------------------

bool consumer_manager::register_consumer(const std::string& group, const client_channel& client,
                                         const std::string& consume_type, const std::string& message_model,
                                         const std::string& consume_from_where,
                                         const std::vector<subscription_data>& subs) {
  std::lock_guard lock(mu_);
  auto& g = groups_[group];
  g.group = group;
  g.consume_type = consume_type;
  g.message_model = message_model;
  g.consume_from_where = consume_from_where;
  bool changed = false;
  auto it = g.channels.find(client.ch->id());
  if (it == g.channels.end()) {
    g.channels.emplace(client.ch->id(), client);
    changed = true;
    log()->info("consumer group {}: new client {} from {}", group, client.client_id, client.ch->remote_address());
  } else {
    it->second.last_update_ms = client.last_update_ms;
    it->second.client_id = client.client_id;
  }
  // Subscriptions: add new topics, replace older versions, drop topics no
  // longer subscribed (ConsumerGroupInfo.updateSubscription).
  std::set<std::string> now;
  for (auto& s : subs) {
    now.insert(s.topic);
    auto cur = g.subscriptions.find(s.topic);
    if (cur == g.subscriptions.end()) {
      g.subscriptions[s.topic] = s;
      changed = true;
    } else if (s.sub_version > cur->second.sub_version || s.sub_string != cur->second.sub_string) {
      cur->second = s;
    }
  }
  for (auto s = g.subscriptions.begin(); s != g.subscriptions.end();) {
    if (!now.count(s->first)) {
      s = g.subscriptions.erase(s);
      changed = true;
    } else {
      ++s;
    }
  }
  return changed;
}

bool consumer_manager::unregister_consumer(const std::string& group, uint64_t channel_id) {
  std::lock_guard lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return false;
  bool removed = g->second.channels.erase(channel_id) != 0;
  if (g->second.channels.empty()) groups_.erase(g);
  if (removed) log()->info("consumer group {}: client unregistered", group);
  return removed;
}

std::vector<std::string> consumer_manager::on_channel_closed(uint64_t channel_id) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto g = groups_.begin(); g != groups_.end();) {
    if (g->second.channels.erase(channel_id)) {
      out.push_back(g->first);
      log()->info("consumer group {}: client channel closed", g->first);
    }
    if (g->second.channels.empty()) {
      g = groups_.erase(g);
    } else {
      ++g;
    }
  }
  return out;
}

std::vector<std::string> consumer_manager::scan_expired(int64_t now_ms, int64_t timeout_ms) {
  std::vector<remoting::channel_ptr> to_close;
  std::vector<std::string> out;
  {
    std::lock_guard lock(mu_);
    for (auto g = groups_.begin(); g != groups_.end();) {
      bool lost = false;
      for (auto c = g->second.channels.begin(); c != g->second.channels.end();) {
        if (now_ms - c->second.last_update_ms > timeout_ms) {
          log()->warn("consumer group {}: client {} expired ({} ms without heartbeat)", g->first,
                      c->second.client_id, now_ms - c->second.last_update_ms);
          to_close.push_back(c->second.ch);
          c = g->second.channels.erase(c);
          lost = true;
        } else {
          ++c;
        }
      }
      if (lost) out.push_back(g->first);
      if (g->second.channels.empty()) {
        g = groups_.erase(g);
      } else {
        ++g;
      }
    }
  }
  for (auto& ch : to_close) ch->close();
  return out;
}

std::optional<consumer_group_info> consumer_manager::group(const std::string& group) const {
  std::lock_guard lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return std::nullopt;
  return g->second;
}

std::optional<subscription_data> consumer_manager::subscription(const std::string& group,
                                                                const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return std::nullopt;
  auto s = g->second.subscriptions.find(topic);
  if (s == g->second.subscriptions.end()) return std::nullopt;
  return s->second;
}

std::vector<std::string> consumer_manager::client_ids(const std::string& group) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  auto g = groups_.find(group);
  if (g == groups_.end()) return out;
  for (auto& [id, c] : g->second.channels) out.push_back(c.client_id);
  return out;
}

std::vector<remoting::channel_ptr> consumer_manager::channels(const std::string& group) const {
  std::lock_guard lock(mu_);
  std::vector<remoting::channel_ptr> out;
  auto g = groups_.find(group);
  if (g == groups_.end()) return out;
  for (auto& [id, c] : g->second.channels) out.push_back(c.ch);
  return out;
}

std::vector<std::string> consumer_manager::groups_of_topic(const std::string& topic) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto& [name, g] : groups_) {
    if (g.subscriptions.count(topic)) out.push_back(name);
  }
  return out;
}

// ---- producer_manager ---------------------------------------------------------

void producer_manager::register_producer(const std::string& group, const client_channel& client) {
  std::lock_guard lock(mu_);
  auto& g = groups_[group];
  auto it = g.find(client.ch->id());
  if (it == g.end()) {
    g.emplace(client.ch->id(), client);
    log()->info("producer group {}: new client {} from {}", group, client.client_id, client.ch->remote_address());
  } else {
    it->second.last_update_ms = client.last_update_ms;
  }
}

void producer_manager::unregister_producer(const std::string& group, uint64_t channel_id) {
  std::lock_guard lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return;
  g->second.erase(channel_id);
  if (g->second.empty()) groups_.erase(g);
}

void producer_manager::on_channel_closed(uint64_t channel_id) {
  std::lock_guard lock(mu_);
  for (auto g = groups_.begin(); g != groups_.end();) {
    g->second.erase(channel_id);
    g = g->second.empty() ? groups_.erase(g) : std::next(g);
  }
}

void producer_manager::scan_expired(int64_t now_ms, int64_t timeout_ms) {
  std::vector<remoting::channel_ptr> to_close;
  {
    std::lock_guard lock(mu_);
    for (auto g = groups_.begin(); g != groups_.end();) {
      for (auto c = g->second.begin(); c != g->second.end();) {
        if (now_ms - c->second.last_update_ms > timeout_ms) {
          log()->warn("producer group {}: client {} expired", g->first, c->second.client_id);
          to_close.push_back(c->second.ch);
          c = g->second.erase(c);
        } else {
          ++c;
        }
      }
      g = g->second.empty() ? groups_.erase(g) : std::next(g);
    }
  }
  for (auto& ch : to_close) ch->close();
}

std::vector<client_channel> producer_manager::channels(const std::string& group) const {
  std::lock_guard lock(mu_);
  std::vector<client_channel> out;
  auto g = groups_.find(group);
  if (g == groups_.end()) return out;
  for (auto& [id, c] : g->second) out.push_back(c);
  return out;
}

// ---- rebalance_lock_manager -------------------------------------------------------

std::set<message_queue> rebalance_lock_manager::try_lock_batch(const std::string& group,
                                                               const std::set<message_queue>& mqs,
                                                               const std::string& client_id, int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::set<message_queue> held;
  auto& table = locks_[group];
  for (auto& mq : mqs) {
    auto it = table.find(mq);
    if (it == table.end() || it->second.client_id == client_id || now_ms - it->second.last_update_ms > max_live_ms_) {
      if (it != table.end() && it->second.client_id != client_id) {
        log()->warn("group {}: lock of {}:{} taken over from expired {} by {}", group, mq.topic, mq.queue_id,
                    it->second.client_id, client_id);
      }
      table[mq] = entry{client_id, now_ms};
      held.insert(mq);
    }
  }
  return held;
}

void rebalance_lock_manager::unlock_batch(const std::string& group, const std::set<message_queue>& mqs,
                                          const std::string& client_id) {
  std::lock_guard lock(mu_);
  auto g = locks_.find(group);
  if (g == locks_.end()) return;
  for (auto& mq : mqs) {
    auto it = g->second.find(mq);
    if (it != g->second.end() && it->second.client_id == client_id) g->second.erase(it);
  }
}


std::map<std::string, size_t> consumer_manager::connection_counts() const {
  std::lock_guard lk(mu_);
  std::map<std::string, size_t> out;
  for (auto& [g, info] : groups_)
    if (!info.channels.empty()) out[g] = info.channels.size();
  return out;
}

std::map<std::string, size_t> producer_manager::connection_counts() const {
  std::lock_guard lk(mu_);
  std::map<std::string, size_t> out;
  for (auto& [g, chans] : groups_)
    if (!chans.empty()) out[g] = chans.size();
  return out;
}

}  // namespace mq::broker
