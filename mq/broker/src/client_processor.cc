// Client management and offsets: HEART_BEAT, UNREGISTER_CLIENT,
// GET_CONSUMER_LIST_BY_GROUP, QUERY/UPDATE_CONSUMER_OFFSET, LOCK/UNLOCK_BATCH_MQ,
// CHECK_CLIENT_CONFIG (B/processor/ClientManageProcessor.java,
// ConsumerManageProcessor.java, AdminBrokerProcessor lockBatchMQ;
// rocketmq-protocol.md §3.3, §3.4, §6.4).
#include <sys/sysinfo.h>

#include "broker_impl.h"
#include "log.h"
#include "mq/remoting/json.h"

namespace mq::broker {

namespace rc = remoting::response_code;

namespace {

std::string json_str(const nlohmann::json& j, const char* key, const std::string& fallback = {}) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

int64_t total_ram_bytes() {
  struct sysinfo si {};
  if (::sysinfo(&si) != 0) return int64_t{8} << 30;
  return static_cast<int64_t>(si.totalram) * si.mem_unit;
}

}  // namespace

response broker_controller::impl::process_heartbeat(const channel_ptr& ch, remoting_command& r) {
  auto j = remoting::parse_lenient(r.body);
  if (!j || !j->is_object()) return reply(r, rc::SYSTEM_ERROR, "heartbeat body is not a JSON object");
  client_channel client;
  client.ch = ch;
  client.client_id = json_str(*j, "clientID");
  client.language = std::string(remoting::language_name(r.language));
  client.version = r.version;
  client.last_update_ms = now_ms();
  if (client.client_id.empty()) return reply(r, rc::SYSTEM_ERROR, "heartbeat without clientID");

  if (auto cs = j->find("consumerDataSet"); cs != j->end() && cs->is_array()) {
    for (auto& c : *cs) {
      if (!c.is_object()) return reply(r, rc::SYSTEM_ERROR, "consumerDataSet holds a non-object");
      std::string group = json_str(c, "groupName");
      if (group.empty()) return reply(r, rc::SYSTEM_ERROR, "consumer data without groupName");
      std::vector<subscription_data> subs;
      if (auto ss = c.find("subscriptionDataSet"); ss != c.end() && ss->is_array()) {
        for (auto& s : *ss) {
          auto sd = subscription_data::from_json(s);
          if (!sd) return reply(r, rc::SYSTEM_ERROR, "bad subscription data in group " + group);
          subs.push_back(std::move(*sd));
        }
      }
      if (auto sg = groups->find(group, rt.auto_create_subscription_group.load())) retry_topic_for(group, *sg);
      bool changed = consumers.register_consumer(group, client, json_str(c, "consumeType", "CONSUME_PASSIVELY"),
                                                 json_str(c, "messageModel", "CLUSTERING"),
                                                 json_str(c, "consumeFromWhere", "CONSUME_FROM_LAST_OFFSET"), subs);
      if (changed) notify_consumer_ids_changed(group);
    }
  }
  if (auto ps = j->find("producerDataSet"); ps != j->end() && ps->is_array()) {
    for (auto& p : *ps) {
      std::string group = p.is_object() ? json_str(p, "groupName") : std::string();
      if (!group.empty()) producers.register_producer(group, client);
    }
  }
  return reply(r, rc::SUCCESS);
}

response broker_controller::impl::process_unregister_client(const channel_ptr& ch, remoting_command& r) {
  header_reader f{r, {}};
  std::string client_id = f.str("clientID");
  if (auto e = f.error()) return e;
  if (const std::string* g = r.field("producerGroup"); g && !g->empty()) producers.unregister_producer(*g, ch->id());
  if (const std::string* g = r.field("consumerGroup"); g && !g->empty()) {
    if (consumers.unregister_consumer(*g, ch->id())) {
      log()->info("consumer {} left group {}", client_id, *g);
      notify_consumer_ids_changed(*g);
    }
  }
  return reply(r, rc::SUCCESS);
}

response broker_controller::impl::process_consumer_list(const channel_ptr&, remoting_command& r) {
  header_reader f{r, {}};
  std::string group = f.str("consumerGroup");
  if (auto e = f.error()) return e;
  auto ids = consumers.client_ids(group);
  if (ids.empty()) return reply(r, rc::SYSTEM_ERROR, "no consumer for this group, " + group);
  auto resp = reply(r, rc::SUCCESS);
  resp.body = remoting::to_json({{"consumerIdList", ids}});
  return resp;
}

response broker_controller::impl::process_query_consumer_offset(const channel_ptr&, remoting_command& r) {
  header_reader f{r, {}};
  std::string group = f.str("consumerGroup"), topic = f.str("topic");
  int32_t queue_id = static_cast<int32_t>(f.num("queueId"));
  if (auto e = f.error()) return e;
  auto resp = reply(r, rc::SUCCESS);
  if (auto off = offsets->query(group, topic, queue_id)) {
    resp.set("offset", *off);
    return resp;
  }
  // A new group on a young queue starts at 0 (ConsumerManageProcessor):
  // when the queue still starts at 0 and its data is "in memory". We judge
  // the latter by the whole commit log being within the in-memory share of
  // RAM (accessMessageInMemoryMaxRatio), which is never more lenient.
  int64_t min = store->min_offset_in_queue(topic, queue_id);
  int64_t span = store->commit_log_max_offset() - store->commit_log_min_offset();
  int64_t in_memory = total_ram_bytes() / 100 * cfg.access_message_in_memory_max_ratio;
  if (min <= 0 && span <= in_memory) {
    resp.set("offset", int64_t{0});
    return resp;
  }
  return reply(r, rc::QUERY_NOT_FOUND, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

response broker_controller::impl::process_update_consumer_offset(const channel_ptr&, remoting_command& r) {
  header_reader f{r, {}};
  std::string group = f.str("consumerGroup"), topic = f.str("topic");
  int32_t queue_id = static_cast<int32_t>(f.num("queueId"));
  int64_t offset = f.num("commitOffset");
  if (auto e = f.error()) return e;
  if (cfg.role == broker_role::slave) return reply(r, rc::SYSTEM_ERROR, "a slave does not take offset commits");
  offsets->commit(group, topic, queue_id, offset);
  return reply(r, rc::SUCCESS);
}

namespace {

struct lock_body {
  std::string client_id, group;
  std::set<message_queue> mqs;
};

std::optional<lock_body> parse_lock_body(const std::string& body) {
  auto j = remoting::parse_lenient(body);
  if (!j || !j->is_object()) return std::nullopt;
  lock_body b;
  b.client_id = json_str(*j, "clientId");
  b.group = json_str(*j, "consumerGroup");
  auto set = j->find("mqSet");
  if (b.client_id.empty() || b.group.empty() || set == j->end() || !set->is_array()) return std::nullopt;
  for (auto& m : *set) {
    auto mq = message_queue::from_json(m);
    if (!mq) return std::nullopt;
    b.mqs.insert(*mq);
  }
  return b;
}

}  // namespace

response broker_controller::impl::process_lock_batch(const channel_ptr&, remoting_command& r) {
  auto b = parse_lock_body(r.body);
  if (!b) return reply(r, rc::SYSTEM_ERROR, "bad LockBatchRequestBody: needs clientId, consumerGroup and mqSet");
  auto held = locks->try_lock_batch(b->group, b->mqs, b->client_id, steady_ms());
  nlohmann::json set = nlohmann::json::array();
  for (auto& mq : held) set.push_back(mq.to_json());
  auto resp = reply(r, rc::SUCCESS);
  resp.body = remoting::to_json({{"lockOKMQSet", std::move(set)}});
  return resp;
}

response broker_controller::impl::process_unlock_batch(const channel_ptr&, remoting_command& r) {
  auto b = parse_lock_body(r.body);
  if (!b) return reply(r, rc::SYSTEM_ERROR, "bad UnlockBatchRequestBody: needs clientId, consumerGroup and mqSet");
  locks->unlock_batch(b->group, b->mqs, b->client_id);
  return reply(r, rc::SUCCESS);
}

response broker_controller::impl::process_check_client_config(const channel_ptr&, remoting_command& r) {
  auto j = remoting::parse_lenient(r.body);
  if (!j || !j->is_object()) return reply(r, rc::SYSTEM_ERROR, "bad CheckClientRequestBody");
  auto sd = j->find("subscriptionData");
  std::string type = sd != j->end() && sd->is_object() ? json_str(*sd, "expressionType", "TAG") : "TAG";
  if (type == "SQL92" && cfg.enable_property_filter) {
    auto f = sql_for(json_str(*sd, "subString", ""));
    if (!f) return reply(r, rc::SUBSCRIPTION_PARSE_FAILED, "The SQL92 expression is invalid: " + f.error().message);
    return reply(r, rc::SUCCESS);
  }
  if (type != "TAG") {
    return reply(r, rc::SYSTEM_ERROR, "The broker does not support consumer to filter message by " + type);
  }
  return reply(r, rc::SUCCESS);
}

}  // namespace mq::broker
