// Topic / group administration, offsets and time queries, message queries,
// stats and config: B/processor/AdminBrokerProcessor.java,
// QueryMessageProcessor.java (rocketmq-protocol.md §2.1, §3.7).
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>

#include "broker_impl.h"
#include "log.h"
#include "mq/common/config.h"
#include "mq/common/message_id.h"
#include "mq/remoting/json.h"

namespace mq::broker {

namespace rc = remoting::response_code;
namespace req = remoting::request_code;

namespace {

// fastjson writes Map<MessageQueue, X> with the key object as the JSON key
// (§3.0); admin tools expect exactly that.
std::string mq_keyed_table(const std::vector<std::pair<message_queue, nlohmann::json>>& rows) {
  std::string out = "{";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) out += ',';
    out += remoting::to_json(rows[i].first.to_json());
    out += ':';
    out += remoting::to_json(rows[i].second);
  }
  return out + "}";
}

double disk_ratio(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0 || st.f_blocks == 0) return -1;
  return 1.0 - static_cast<double>(st.f_bfree) / static_cast<double>(st.f_blocks);  // as Java's UtilAll
}

}  // namespace

void broker_controller::impl::register_admin_processors() {
  auto on = [this](int32_t code, remoting::processor_fn fn) {
    server->register_processor(code, fn, admin_pool);
    if (fast_server) fast_server->register_processor(code, fn, admin_pool);
  };

  on(req::UPDATE_AND_CREATE_TOPIC, [this](const channel_ptr& ch, remoting_command& r) -> response {
    header_reader f{r, {}};
    topic_config tc;
    tc.topic_name = f.str("topic");
    f.str("defaultTopic");
    tc.read_queue_nums = static_cast<int32_t>(f.num("readQueueNums"));
    tc.write_queue_nums = static_cast<int32_t>(f.num("writeQueueNums"));
    tc.perm = static_cast<int32_t>(f.num("perm"));
    tc.topic_filter_type = f.str("topicFilterType");
    tc.topic_sys_flag = static_cast<int32_t>(f.opt_num("topicSysFlag").value_or(0));
    tc.order = f.flag("order");
    if (auto e = f.error()) return e;
    if (cfg.role == broker_role::slave) return reply(r, rc::SYSTEM_ERROR, "a slave does not create topics");
    std::string why;
    if (!valid_topic_name(tc.topic_name, &why)) return reply(r, rc::SYSTEM_ERROR, why);
    if (tc.topic_name == cfg.broker_cluster_name) {
      return reply(r, rc::SYSTEM_ERROR, "The specified topic is conflict with cluster name " + cfg.broker_cluster_name);
    }
    if (is_send_forbidden_topic(tc.topic_name)) {
      return reply(r, rc::NO_PERMISSION, "The topic[" + tc.topic_name + "] is a system topic");
    }
    if (tc.read_queue_nums < 0 || tc.write_queue_nums < 0 || tc.read_queue_nums > 4096 ||
        tc.write_queue_nums > 4096 || (tc.read_queue_nums == 0 && tc.write_queue_nums == 0)) {
      return reply(r, rc::SYSTEM_ERROR, "readQueueNums / writeQueueNums must be 0..4096 and not both 0");
    }
    if (tc.perm < 0 || tc.perm > 15) return reply(r, rc::SYSTEM_ERROR, "perm must be 0..15");
    if (tc.topic_filter_type != "SINGLE_TAG" && tc.topic_filter_type != "MULTI_TAG") {
      return reply(r, rc::SYSTEM_ERROR, "topicFilterType must be SINGLE_TAG or MULTI_TAG");
    }
    log()->info("topic {} create/update requested by {}", tc.topic_name, ch->remote_address());
    topics->update(tc);
    register_broker_all(true);
    return reply(r, rc::SUCCESS);
  });

  on(req::DELETE_TOPIC_IN_BROKER, [this](const channel_ptr& ch, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string topic = f.str("topic");
    if (auto e = f.error()) return e;
    std::string why;
    if (!valid_topic_name(topic, &why)) return reply(r, rc::SYSTEM_ERROR, why);
    if (is_send_forbidden_topic(topic) || topic == "TBW102") {
      return reply(r, rc::NO_PERMISSION, "The topic[" + topic + "] is a system topic and cannot be deleted");
    }
    log()->info("topic {} delete requested by {}", topic, ch->remote_address());
    topics->remove(topic);
    offsets->remove_topic(topic);
    store->delete_topic(topic);
    metrics.forget_topic(topic);
    register_broker_all(true);
    return reply(r, rc::SUCCESS);
  });

  on(req::GET_ALL_TOPIC_CONFIG, [this](const channel_ptr&, remoting_command& r) -> response {
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json(topics->wrapper_json());
    return resp;
  });

  on(req::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, [this](const channel_ptr& ch, remoting_command& r) -> response {
    auto j = remoting::parse_lenient(r.body);
    auto c = j ? subscription_group_config::from_json(*j) : std::nullopt;
    if (!c || c->group_name.empty()) return reply(r, rc::SYSTEM_ERROR, "bad SubscriptionGroupConfig body");
    log()->info("subscription group {} create/update requested by {}", c->group_name, ch->remote_address());
    groups->update(*c);
    return reply(r, rc::SUCCESS);
  });

  on(req::GET_ALL_SUBSCRIPTIONGROUP_CONFIG, [this](const channel_ptr&, remoting_command& r) -> response {
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json(groups->all_json());
    return resp;
  });

  on(req::DELETE_SUBSCRIPTIONGROUP, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string group = f.str("groupName");
    if (auto e = f.error()) return e;
    groups->remove(group);
    if (f.flag("removeOffset")) offsets->remove_group(group);
    metrics.forget_group(group);
    return reply(r, rc::SUCCESS);
  });

  on(req::GET_ALL_CONSUMER_OFFSET, [this](const channel_ptr&, remoting_command& r) -> response {
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json(offsets->all_json());
    return resp;
  });
  on(req::GET_ALL_DELAY_OFFSET, [this](const channel_ptr&, remoting_command& r) -> response {
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json(schedule->offsets_json());
    return resp;
  });

  // ---- queue offsets and times: topic + queueId (+ `extra` field) -> one value
  auto queue_query = [this, &on](int32_t code, const char* result_key, const char* extra,
                                 std::function<int64_t(const std::string&, int32_t, int64_t)> value) {
    on(code, [result_key, extra, value](const channel_ptr&, remoting_command& r) -> response {
      header_reader f{r, {}};
      std::string topic = f.str("topic");
      auto q = static_cast<int32_t>(f.num("queueId"));
      int64_t arg = extra ? f.num(extra) : 0;
      if (auto e = f.error()) return e;
      auto resp = reply(r, rc::SUCCESS);
      resp.set(result_key, value(topic, q, arg));
      return resp;
    });
  };
  queue_query(req::GET_MAX_OFFSET, "offset", nullptr, [this](const std::string& t, int32_t q, int64_t) {
    return std::max<int64_t>(0, store->max_offset_in_queue(t, q));
  });
  queue_query(req::GET_MIN_OFFSET, "offset", nullptr, [this](const std::string& t, int32_t q, int64_t) {
    return std::max<int64_t>(0, store->min_offset_in_queue(t, q));
  });
  queue_query(req::SEARCH_OFFSET_BY_TIMESTAMP, "offset", "timestamp", [this](const std::string& t, int32_t q, int64_t ts) {
    return std::max<int64_t>(0, store->offset_by_time(t, q, ts));
  });
  queue_query(req::GET_EARLIEST_MSG_STORETIME, "timestamp", nullptr, [this](const std::string& t, int32_t q, int64_t) {
    return store->store_time_at(t, q, store->min_offset_in_queue(t, q));
  });

  // ---- message queries
  on(req::QUERY_MESSAGE, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string topic = f.str("topic"), key = f.str("key");
    int64_t max_num = f.num("maxNum");
    int64_t begin = f.num("beginTimestamp"), end = f.num("endTimestamp");
    if (auto e = f.error()) return e;
    if (f.flag("_UNIQUE_KEY_QUERY")) max_num = cfg.default_query_max_num;
    int max = static_cast<int>(std::clamp<int64_t>(max_num, 1, 64 * 1024));
    auto records = store->query_by_key(topic, key, max, begin, end);
    if (records.empty()) return reply(r, rc::QUERY_NOT_FOUND, "can not find message, maybe time range not correct");
    auto resp = reply(r, rc::SUCCESS);
    resp.set("indexLastUpdateTimestamp", now_ms());
    resp.set("indexLastUpdatePhyoffset", store->commit_log_max_offset());
    for (auto& rec : records) resp.body += rec;
    return resp;
  });
  on(req::VIEW_MESSAGE_BY_ID, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    int64_t offset = f.num("offset");
    if (auto e = f.error()) return e;
    auto rec = offset >= 0 ? store->read_record(offset) : std::nullopt;
    if (!rec) return reply(r, rc::SYSTEM_ERROR, "can not find message by the offset, " + std::to_string(offset));
    auto resp = reply(r, rc::SUCCESS);
    resp.body = std::move(*rec);
    return resp;
  });

  // ---- stats and connections
  on(req::GET_BROKER_RUNTIME_INFO, [this](const channel_ptr&, remoting_command& r) -> response {
    auto st = store->stats();
    char tps[64];
    std::snprintf(tps, sizeof tps, "%.2f %.2f %.2f", stats.put_tps.load(), stats.put_tps.load(), stats.put_tps.load());
    char gtps[64];
    std::snprintf(gtps, sizeof gtps, "%.2f %.2f %.2f", stats.get_tps.load(), stats.get_tps.load(),
                  stats.get_tps.load());
    int64_t up = (now_ms() - boot_ms) / 1000;
    char runtime[96];
    std::snprintf(runtime, sizeof runtime, "[ %lld days, %lld hours, %lld minutes, %lld seconds ]",
                  static_cast<long long>(up / 86400), static_cast<long long>(up / 3600 % 24),
                  static_cast<long long>(up / 60 % 60), static_cast<long long>(up % 60));
    nlohmann::json t{{"brokerVersionDesc", "V4_9_8"},
                     {"brokerVersion", std::to_string(remoting::current_version)},
                     {"msgPutTotalTodayNow", std::to_string(stats.put_msgs.load())},
                     {"msgGetTotalTodayNow", std::to_string(stats.get_msgs.load())},
                     {"msgPutTotalTodayMorning", "0"},
                     {"msgGetTotalTodayMorning", "0"},
                     {"msgPutTotalYesterdayMorning", "0"},
                     {"msgGetTotalYesterdayMorning", "0"},
                     {"putTps", tps},
                     {"getTransferedTps", gtps},
                     {"getFoundTps", gtps},
                     {"sendThreadPoolQueueSize", std::to_string(send_pool->queued())},
                     {"pullThreadPoolQueueSize", std::to_string(pull_pool->queued())},
                     {"bootTimestamp", std::to_string(boot_ms)},
                     {"runtime", runtime},
                     {"commitLogMinOffset", std::to_string(st.commit_log_min_offset)},
                     {"commitLogMaxOffset", std::to_string(st.commit_log_max_offset)},
                     {"dispatchBehindBytes", std::to_string(st.dispatch_behind_bytes)},
                     {"commitLogDiskRatio", std::to_string(disk_ratio(cfg.store.commit_log_dir()))},
                     {"consumeQueueDiskRatio", std::to_string(disk_ratio(cfg.store.store_path_root_dir))},
                     {"pageCacheLockTimeMills", "0"},
                     {"brokerRole", to_string(cfg.role)},
                     {"heldPullRequests", std::to_string(hold->held_count())},
                     {"sendFailures", std::to_string(stats.send_failures.load())}};
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json({{"table", t}});
    return resp;
  });

  on(req::GET_TOPIC_STATS_INFO, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string topic = f.str("topic");
    if (auto e = f.error()) return e;
    auto tc = topics->find(topic);
    if (!tc) return reply(r, rc::TOPIC_NOT_EXIST, "topic[" + topic + "] not exist");
    std::vector<std::pair<message_queue, nlohmann::json>> rows;
    for (int32_t q = 0; q < tc->write_queue_nums; ++q) {
      int64_t min = std::max<int64_t>(0, store->min_offset_in_queue(topic, q));
      int64_t max = std::max<int64_t>(0, store->max_offset_in_queue(topic, q));
      int64_t last = max > 0 ? store->store_time_at(topic, q, max - 1) : 0;
      rows.push_back({message_queue{topic, cfg.broker_name, q},
                      {{"lastUpdateTimestamp", std::max<int64_t>(0, last)}, {"maxOffset", max}, {"minOffset", min}}});
    }
    auto resp = reply(r, rc::SUCCESS);
    resp.body = "{\"offsetTable\":" + mq_keyed_table(rows) + "}";
    return resp;
  });

  on(req::GET_CONSUME_STATS, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string group = f.str("consumerGroup");
    if (auto e = f.error()) return e;
    std::set<std::string> topic_set;
    if (const std::string* t = r.field("topic"); t && !t->empty()) {
      topic_set.insert(*t);
    } else {
      topic_set = offsets->topics_of_group(group);
      if (auto info = consumers.group(group)) {
        for (auto& [t, s] : info->subscriptions) topic_set.insert(t);
      }
    }
    std::vector<std::pair<message_queue, nlohmann::json>> rows;
    for (auto& topic : topic_set) {
      auto tc = topics->find(topic);
      if (!tc) continue;
      auto committed = offsets->offsets(group, topic);
      for (int32_t q = 0; q < tc->read_queue_nums; ++q) {
        int64_t broker_off = std::max<int64_t>(0, store->max_offset_in_queue(topic, q));
        auto c = committed.find(q);
        int64_t consumer_off = c == committed.end() ? 0 : std::max<int64_t>(0, c->second);
        int64_t last = consumer_off > 0 ? store->store_time_at(topic, q, consumer_off - 1) : 0;
        rows.push_back({message_queue{topic, cfg.broker_name, q},
                        {{"brokerOffset", broker_off},
                         {"consumerOffset", consumer_off},
                         {"lastTimestamp", std::max<int64_t>(0, last)}}});
      }
    }
    if (rows.empty()) return reply(r, rc::SYSTEM_ERROR, "consumer group " + group + " has no offsets and no subscription");
    auto resp = reply(r, rc::SUCCESS);
    resp.body = "{\"consumeTps\":" + std::to_string(stats.get_tps.load()) + ",\"offsetTable\":" + mq_keyed_table(rows) +
                "}";
    return resp;
  });

  on(req::GET_CONSUMER_CONNECTION_LIST, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string group = f.str("consumerGroup");
    if (auto e = f.error()) return e;
    auto info = consumers.group(group);
    if (!info || info->channels.empty()) {
      return reply(r, rc::CONSUMER_NOT_ONLINE, "the consumer group[" + group + "] not online");
    }
    nlohmann::json conns = nlohmann::json::array();
    for (auto& [id, c] : info->channels) conns.push_back(c.to_json());
    nlohmann::json subs = nlohmann::json::object();
    for (auto& [t, s] : info->subscriptions) subs[t] = s.to_json();
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json({{"connectionSet", conns},
                                   {"consumeFromWhere", info->consume_from_where},
                                   {"consumeType", info->consume_type},
                                   {"messageModel", info->message_model},
                                   {"subscriptionTable", subs}});
    return resp;
  });

  on(req::GET_PRODUCER_CONNECTION_LIST, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string group = f.str("producerGroup");
    if (auto e = f.error()) return e;
    nlohmann::json conns = nlohmann::json::array();
    for (auto& c : producers.channels(group)) conns.push_back(c.to_json());
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json({{"connectionSet", conns}});
    return resp;
  });

  on(req::QUERY_TOPIC_CONSUME_BY_WHO, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string topic = f.str("topic");
    if (auto e = f.error()) return e;
    auto set = offsets->groups_of_topic(topic);
    for (auto& g : consumers.groups_of_topic(topic)) set.insert(g);
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json({{"groupList", set}});
    return resp;
  });

  // ---- broker config
  on(req::GET_BROKER_CONFIG, [this](const channel_ptr&, remoting_command& r) -> response {
    std::string text;
    {
      std::lock_guard lock(config_mu_);
      for (auto& [k, v] : cfg.all) text += k + "=" + v + "\n";
    }
    auto resp = reply(r, rc::SUCCESS);
    resp.set("version", remoting::to_json(topics->version().to_json()));
    resp.body = std::move(text);
    return resp;
  });

  on(req::UPDATE_BROKER_CONFIG, [this](const channel_ptr& ch, remoting_command& r) -> response {
    auto parsed = parse_properties_text(r.body);
    if (!parsed) return reply(r, rc::SYSTEM_ERROR, parsed.error().message);
    for (auto& [k, v] : *parsed) {
      if (!is_runtime_changeable(k)) {
        return reply(r, rc::NO_PERMISSION, "the key " + k + " cannot be changed while the broker runs");
      }
    }
    auto i32 = [&](const std::string& k, std::atomic<int32_t>& slot) {
      if (!parsed->count(k)) return status::success();
      auto v = get_int(*parsed, k, slot.load());
      if (!v) return v.error();
      slot = *v;
      return status::success();
    };
    auto b = [&](const std::string& k, std::atomic<bool>& slot) {
      if (parsed->count(k)) slot = get_bool(*parsed, k, slot.load());
    };
    for (auto s : {i32("brokerPermission", rt.broker_permission), i32("defaultTopicQueueNums", rt.default_topic_queue_nums)}) {
      if (!s.ok()) return reply(r, rc::SYSTEM_ERROR, s.message);
    }
    if (parsed->count("shortPollingTimeMills")) {
      auto v = get_int64(*parsed, "shortPollingTimeMills", 1000);
      if (!v) return reply(r, rc::SYSTEM_ERROR, v.error().message);
      rt.short_polling_time_mills = *v;
    }
    b("autoCreateTopicEnable", rt.auto_create_topic_enable);
    b("autoCreateSubscriptionGroup", rt.auto_create_subscription_group);
    b("notifyConsumerIdsChangedEnable", rt.notify_consumer_ids_changed_enable);
    b("longPollingEnable", rt.long_polling_enable);
    b("traceOn", rt.trace_on);
    b("rejectTransactionMessage", rt.reject_transaction_message);
    {
      std::lock_guard lock(config_mu_);
      for (auto& [k, v] : *parsed) cfg.all[k] = v;
    }
    log()->info("broker config updated by {}: {}", ch->remote_address(), r.body);
    if (parsed->count("brokerPermission")) request_register();
    return reply(r, rc::SUCCESS);
  });

  on(req::CLEAN_EXPIRED_CONSUMEQUEUE, [this](const channel_ptr&, remoting_command& r) -> response {
    store->clean_expired(false);
    return reply(r, rc::SUCCESS);
  });
  // Consume queues of topics the broker no longer has (deleted while the
  // broker was down, or by hand): removed. System queues are kept.
  on(req::CLEAN_UNUSED_TOPIC, [this](const channel_ptr& ch, remoting_command& r) -> response {
    auto known = topics->all();
    int removed = 0;
    for (auto& t : store->queue_topics()) {
      if (known.count(t) || t == mq::schedule_topic || t.starts_with("RMQ_SYS_")) continue;
      log()->info("cleanUnusedTopic (from {}): consume queues of unknown topic {} removed", ch->remote_address(), t);
      offsets->remove_topic(t);
      store->delete_topic(t);
      metrics.forget_topic(t);
      ++removed;
    }
    auto resp = reply(r, rc::SUCCESS);
    resp.remark = "removed " + std::to_string(removed) + " unused topic(s)";
    return resp;
  });

  // Questions to a group's clients, relayed (mqadmin consumerStatus and
  // getConsumerStatus). The client answers within the admin timeout or the
  // relay reports it.
  on(req::GET_CONSUMER_RUNNING_INFO, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string group = f.str("consumerGroup"), client_id = f.str("clientId");
    if (auto e = f.error()) return e;
    auto g = consumers.group(group);
    remoting::channel_ptr target;
    if (g)
      for (auto& [id, c] : g->channels)
        if (c.client_id == client_id && c.ch && c.ch->is_open()) target = c.ch;
    if (!target) return reply(r, rc::SYSTEM_ERROR, "The Consumer <" + client_id + "> not online");
    auto ask = remoting_command::request(req::GET_CONSUMER_RUNNING_INFO);
    ask.set("consumerGroup", group);
    ask.set("clientId", client_id);
    ask.set("jstackEnable", "false");
    auto got = target->invoke_sync(std::move(ask), std::chrono::milliseconds(5000));
    if (got.error != remoting::errc::ok)
      return reply(r, rc::SYSTEM_ERROR, "consumer " + client_id + " did not answer: " + remoting::to_string(got.error));
    auto resp = reply(r, got.response.code, got.response.remark);
    resp.body = std::move(got.response.body);
    return resp;
  });
  on(req::INVOKE_BROKER_TO_GET_CONSUMER_STATUS, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string topic = f.str("topic"), group = f.str("group");
    const std::string* only = r.field("originClientId");
    if (auto e = f.error()) return e;
    auto g = consumers.group(group);
    if (!g || g->channels.empty()) return reply(r, rc::SYSTEM_ERROR, "No Any Consumer online in the consumer group: [" + group + "]");
    nlohmann::json table = nlohmann::json::object();
    for (auto& [id, c] : g->channels) {
      if (only && !only->empty() && c.client_id != *only) continue;
      auto ask = remoting_command::request(req::GET_CONSUMER_STATUS_FROM_CLIENT);
      ask.set("topic", topic);
      ask.set("group", group);
      ask.set("clientAddr", c.ch->remote_address());
      auto got = c.ch->invoke_sync(std::move(ask), std::chrono::milliseconds(5000));
      if (got.error != remoting::errc::ok || got.response.code != rc::SUCCESS) {
        log()->warn("getConsumerStatus: client {} of {} did not answer", c.client_id, group);
        continue;
      }
      auto j = remoting::parse_lenient(got.response.body);
      if (j && j->contains("messageQueueTable")) table[c.client_id] = (*j)["messageQueueTable"];
    }
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json({{"messageQueueTable", nlohmann::json::object()}, {"consumerTable", table}});
    return resp;
  });

  // Transactions (mqadmin listHalfMessages / resumeCheckHalfMessage).
  on(req::LIST_HALF_MESSAGES, [this](const channel_ptr&, remoting_command& r) -> response {
    header_reader f{r, {}};
    auto max = f.opt_num("maxNum");
    if (auto e = f.error()) return e;
    if (!transactions || cfg.role == broker_role::slave) return reply(r, rc::SYSTEM_ERROR, "a slave keeps no transaction state");
    nlohmann::json rows = nlohmann::json::array();
    int64_t now = now_ms();
    for (auto& h : transactions->list(static_cast<size_t>(std::clamp<int64_t>(max.value_or(100), 1, 10000))))
      rows.push_back({{"halfOffset", h.half_offset}, {"commitLogOffset", h.commit_log_offset}, {"topic", h.topic},
                      {"producerGroup", h.producer_group}, {"msgId", h.msg_id}, {"offsetMsgId", h.offset_msg_id},
                      {"storeTimestamp", h.store_timestamp}, {"ageMs", now - h.store_timestamp},
                      {"checkTimes", h.checks}, {"discarded", h.discarded}});
    auto resp = reply(r, rc::SUCCESS);
    resp.body = remoting::to_json({{"halfMessages", rows}});
    return resp;
  });
  on(req::RESUME_CHECK_HALF_MESSAGE, [this](const channel_ptr& ch, remoting_command& r) -> response {
    header_reader f{r, {}};
    std::string id = f.str("msgId");
    if (auto e = f.error()) return e;
    auto decoded = decode_offset_msg_id(id);
    if (!decoded) return reply(r, rc::SYSTEM_ERROR, "msgId must be an offsetMsgId: " + decoded.error().message);
    if (!transactions || cfg.role == broker_role::slave) return reply(r, rc::SYSTEM_ERROR, "a slave keeps no transaction state");
    auto st = transactions->resume_check(decoded->second);
    if (!st.ok()) return reply(r, rc::SYSTEM_ERROR, st.message);
    log()->info("resumeCheckHalfMessage {} from {}", id, ch->remote_address());
    return reply(r, rc::SUCCESS);
  });
  on(req::DELETE_EXPIRED_COMMITLOG, [this](const channel_ptr&, remoting_command& r) -> response {
    int n = store->clean_expired(true);
    log()->info("forced retention pass deleted {} commit-log files", n);
    return reply(r, rc::SUCCESS);
  });
}

}  // namespace mq::broker
