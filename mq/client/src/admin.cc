#include "mq/client/admin.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "client_instance.h"
#include "mq/client/producer.h"
#include "consumer_core.h"
#include "log.h"
#include "mq/common/message_const.h"
#include "mq/common/message_id.h"
#include "mq/common/message_record.h"
#include "mq/remoting/json.h"
#include "offset_store.h"

namespace mq::client {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;
using nlohmann::json;

int64_t consume_stats::total_lag() const {
  int64_t t = 0;
  for (auto& r : rows) t += r.lag();
  return t;
}

struct admin_client::impl {
  client_options opts;
  std::unique_ptr<client_instance> inst;
  std::mutex producer_mu;
  std::unique_ptr<producer> resender;  // GUARDED_BY(producer_mu) made on first resend_dlq

  explicit impl(client_options o) : opts(std::move(o)), inst(std::make_unique<client_instance>(opts)) {}

  // A call whose response must be SUCCESS; the body parsed leniently when
  // `parse` (fastjson keys, object keys).
  result<remoting_command> ok_call(const std::string& addr, remoting_command r, const std::string& what) {
    auto resp = inst->call(addr, std::move(r), opts.request_timeout);
    if (!resp) return resp.error();
    if (resp->code != rc::SUCCESS) return response_error(*resp, what);
    return resp;
  }
  result<json> json_call(const std::string& addr, remoting_command r, const std::string& what) {
    auto resp = addr.empty() ? inst->call_namesrv(std::move(r)) : ok_call(addr, std::move(r), what);
    if (!resp) return resp.error();
    if (resp->code != rc::SUCCESS) return response_error(*resp, what);
    auto j = remoting::parse_lenient(resp->body);
    if (!j) return status::error(errc::corrupt, what + ": malformed JSON body");
    return *j;
  }

  result<std::vector<std::string>> masters_of(const std::string& cluster_name) {
    auto ci = cluster();
    if (!ci) return ci.error();
    auto it = ci->clusters.find(cluster_name);
    if (it == ci->clusters.end()) return status::error(errc::not_found, "no cluster named " + cluster_name);
    std::vector<std::string> out;
    for (auto& b : it->second) {
      auto bd = ci->brokers.find(b);
      if (bd != ci->brokers.end() && !bd->second.master_addr().empty()) out.push_back(bd->second.master_addr());
    }
    if (out.empty()) return status::error(errc::not_found, "cluster " + cluster_name + " has no live master");
    return out;
  }

  // Runs `fn(addr)` on every master of the cluster; stops at the first error.
  status on_masters(const std::string& cluster_name, const std::function<status(const std::string&)>& fn) {
    auto masters = masters_of(cluster_name);
    if (!masters) return masters.error();
    for (auto& m : *masters)
      if (auto st = fn(m); !st.ok()) return st;
    return status::success();
  }

  // QUERY_MESSAGE on every broker of the topic; keeps the records `keep` accepts.
  result<std::vector<message_ext>> query(const std::string& topic, const std::string& key, int max_num,
                                         int64_t begin_ms, int64_t end_ms, bool unique,
                                         const std::function<bool(const message_ext&)>& keep) {
    auto route = inst->fetch_route(topic);
    if (!route) return route.error();
    std::vector<message_ext> out;
    for (auto& addr : topic_brokers(*route)) {
      auto r = remoting_command::request(req::QUERY_MESSAGE);
      r.set("topic", topic);
      r.set("key", key);
      r.set("maxNum", int64_t{max_num});
      r.set("beginTimestamp", begin_ms);
      r.set("endTimestamp", end_ms);
      r.set("_UNIQUE_KEY_QUERY", unique ? "true" : "false");
      auto resp = inst->call(addr, std::move(r), opts.request_timeout);
      if (!resp) return resp.error();
      if (resp->code == rc::QUERY_NOT_FOUND) continue;
      if (resp->code != rc::SUCCESS) return response_error(*resp, "query message by key " + key);
      auto msgs = decode_records(resp->body, true);
      if (!msgs) return status::error(errc::corrupt, "malformed message body: " + msgs.error().message);
      for (auto& m : *msgs)
        if (keep(m)) out.push_back(std::move(m));
    }
    if (out.empty()) return status::error(errc::not_found, "no message with key " + key + " in " + topic);
    return out;
  }

  result<cluster_info> cluster() {
    auto j = json_call("", remoting_command::request(req::GET_BROKER_CLUSTER_INFO), "cluster info");
    if (!j) return j.error();
    cluster_info ci;
    try {
      if (auto t = j->find("brokerAddrTable"); t != j->end() && t->is_object()) {
        for (auto& [name, b] : t->items()) {
          broker_data d;
          d.broker_name = name;
          d.cluster = b.value("cluster", std::string());
          if (auto a = b.find("brokerAddrs"); a != b.end() && a->is_object())
            for (auto& [id, addr] : a->items()) d.addrs[std::stoll(id)] = addr.get<std::string>();
          ci.brokers[name] = std::move(d);
        }
      }
      if (auto t = j->find("clusterAddrTable"); t != j->end() && t->is_object())
        for (auto& [name, list] : t->items()) ci.clusters[name] = list.get<std::vector<std::string>>();
    } catch (const std::exception& e) {
      return status::error(errc::corrupt, std::string("malformed cluster info: ") + e.what());
    }
    return ci;
  }

  // The message-queue-keyed tables of §3.7: keys are MQ objects.
  template <class F>
  status each_mq_row(const json& table, F&& f) {
    if (!table.is_object()) return status::error(errc::corrupt, "offsetTable is not an object");
    for (auto& [k, v] : table.items()) {
      auto key = json::parse(k, nullptr, false);
      auto q = key.is_discarded() ? std::nullopt : mq_from_json(key);
      if (!q) return status::error(errc::corrupt, "bad message-queue key " + k);
      f(*q, v);
    }
    return status::success();
  }

  std::vector<std::string> topic_brokers(const topic_route& r) {
    std::vector<std::string> out;
    for (auto& b : r.brokers)
      if (auto a = b.any_addr(); !a.empty()) out.push_back(a);
    return out;
  }
};

admin_client::admin_client(client_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
admin_client::~admin_client() { shutdown(); }

status admin_client::start() {
  if (split_addrs(impl_->opts.namesrv_addr).empty())
    return status::error(errc::invalid_argument, "namesrv_addr is empty");
  return status::success();
}

void admin_client::shutdown() {
  {
    std::lock_guard lk(impl_->producer_mu);
    if (impl_->resender) impl_->resender->shutdown();
  }
  impl_->inst->shutdown();
}

result<cluster_info> admin_client::cluster() { return impl_->cluster(); }

result<std::vector<std::string>> admin_client::topic_list() {
  auto j = impl_->json_call("", remoting_command::request(req::GET_ALL_TOPIC_LIST_FROM_NAMESERVER), "topic list");
  if (!j) return j.error();
  std::vector<std::string> out;
  if (auto t = j->find("topicList"); t != j->end() && t->is_array())
    for (auto& v : *t)
      if (v.is_string()) out.push_back(v.get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

result<topic_route> admin_client::route(const std::string& topic) { return impl_->inst->fetch_route(topic); }

status admin_client::create_topic(const std::string& broker_addr, const topic_config& t) {
  if (t.name.empty() || t.read_queue_nums <= 0 || t.write_queue_nums <= 0 || t.read_queue_nums > 1024 ||
      t.write_queue_nums > 1024 || t.perm < 0 || t.perm > 7)
    return status::error(errc::invalid_argument, "bad topic config for '" + t.name + "'");
  auto r = remoting_command::request(req::UPDATE_AND_CREATE_TOPIC);
  r.set("topic", t.name);
  r.set("defaultTopic", std::string(auto_create_topic_key_topic));
  r.set("readQueueNums", int64_t{t.read_queue_nums});
  r.set("writeQueueNums", int64_t{t.write_queue_nums});
  r.set("perm", int64_t{t.perm});
  r.set("topicFilterType", "SINGLE_TAG");
  r.set("topicSysFlag", int64_t{0});
  r.set("order", t.order ? "true" : "false");
  auto resp = impl_->ok_call(broker_addr, std::move(r), "create topic " + t.name + " on " + broker_addr);
  if (!resp) return resp.error();
  impl_->inst->forget_route(t.name);
  log()->info("topic {} created/updated on {} ({} read / {} write queues, perm {})", t.name, broker_addr,
              t.read_queue_nums, t.write_queue_nums, t.perm);
  return status::success();
}

status admin_client::create_topic_in_cluster(const std::string& cluster_name, const topic_config& t) {
  return impl_->on_masters(cluster_name, [&](const std::string& m) { return create_topic(m, t); });
}

status admin_client::delete_topic(const std::string& cluster_name, const std::string& topic) {
  auto st = impl_->on_masters(cluster_name, [&](const std::string& m) {
    auto r = remoting_command::request(req::DELETE_TOPIC_IN_BROKER);
    r.set("topic", topic);
    return impl_->ok_call(m, std::move(r), "delete topic " + topic + " on " + m).error();
  });
  if (!st.ok()) return st;
  auto r = remoting_command::request(req::DELETE_TOPIC_IN_NAMESRV);
  r.set("topic", topic);
  auto resp = impl_->inst->call_namesrv(std::move(r));
  if (!resp) return resp.error();
  if (resp->code != rc::SUCCESS) return response_error(*resp, "delete topic in name server");
  impl_->inst->forget_route(topic);
  return status::success();
}

result<std::vector<queue_stat>> admin_client::topic_stats(const std::string& topic) {
  auto route = impl_->inst->fetch_route(topic);
  if (!route) return route.error();
  std::vector<queue_stat> out;
  for (auto& addr : impl_->topic_brokers(*route)) {
    auto r = remoting_command::request(req::GET_TOPIC_STATS_INFO);
    r.set("topic", topic);
    auto j = impl_->json_call(addr, std::move(r), "topic stats of " + topic);
    if (!j) return j.error();
    auto st = impl_->each_mq_row((*j)["offsetTable"], [&](const message_queue& q, const json& v) {
      out.push_back({q, v.value("minOffset", int64_t{0}), v.value("maxOffset", int64_t{0}),
                     v.value("lastUpdateTimestamp", int64_t{0})});
    });
    if (!st.ok()) return st;
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.queue < b.queue; });
  return out;
}

result<consume_stats> admin_client::consumer_progress(const std::string& group, const std::string& topic) {
  std::set<std::string> addrs;
  if (!topic.empty()) {
    auto route = impl_->inst->fetch_route(topic);
    if (!route) return route.error();
    for (auto& a : impl_->topic_brokers(*route)) addrs.insert(a);
  } else {
    // Every broker that knows the group's retry topic (created by its heartbeat).
    auto route = impl_->inst->fetch_route(std::string(retry_group_topic_prefix) + group);
    if (route) {
      for (auto& a : impl_->topic_brokers(*route)) addrs.insert(a);
    } else {
      auto ci = cluster();
      if (!ci) return ci.error();
      for (auto& [_, b] : ci->brokers)
        if (auto a = b.master_addr(); !a.empty()) addrs.insert(a);
    }
  }
  consume_stats out;
  bool any = false;
  status last = status::error(errc::not_found, "no broker knows group " + group);
  for (auto& addr : addrs) {
    auto r = remoting_command::request(req::GET_CONSUME_STATS);
    r.set("consumerGroup", group);
    if (!topic.empty()) r.set("topic", topic);
    auto j = impl_->json_call(addr, std::move(r), "consume stats of " + group);
    if (!j) {
      last = j.error();
      continue;
    }
    any = true;
    out.consume_tps += j->value("consumeTps", 0.0);
    auto st = impl_->each_mq_row((*j)["offsetTable"], [&](const message_queue& q, const json& v) {
      out.rows.push_back({q, v.value("brokerOffset", int64_t{0}), v.value("consumerOffset", int64_t{0}),
                          v.value("lastTimestamp", int64_t{0})});
    });
    if (!st.ok()) return st;
  }
  if (!any) return last;
  std::sort(out.rows.begin(), out.rows.end(), [](auto& a, auto& b) { return a.queue < b.queue; });
  return out;
}

result<consumer_connection> admin_client::consumer_connections(const std::string& group) {
  auto route = impl_->inst->fetch_route(std::string(retry_group_topic_prefix) + group);
  if (!route) return route.error();
  status last = status::error(errc::not_found, "group " + group + " is not online");
  for (auto& addr : impl_->topic_brokers(*route)) {
    auto r = remoting_command::request(req::GET_CONSUMER_CONNECTION_LIST);
    r.set("consumerGroup", group);
    auto j = impl_->json_call(addr, std::move(r), "connections of " + group);
    if (!j) {
      last = j.error();
      continue;
    }
    consumer_connection out;
    try {
      json conns = j->value("connectionSet", json::array());
      for (auto& c : conns)
        out.connections.push_back({c.value("clientId", std::string()), c.value("clientAddr", std::string()),
                                   c.value("language", std::string()), c.value("version", 0)});
      out.consume_type = j->value("consumeType", std::string());
      out.message_model = j->value("messageModel", std::string());
      out.consume_from_where = j->value("consumeFromWhere", std::string());
      json subs = j->value("subscriptionTable", json::object());
      for (auto& [t, s] : subs.items())
        out.subscriptions[t] = s.value("subString", std::string("*"));
    } catch (const std::exception& e) {
      return status::error(errc::corrupt, std::string("malformed consumer connection: ") + e.what());
    }
    return out;
  }
  return last;
}

result<std::map<message_queue, int64_t>> admin_client::reset_offset_by_time(const std::string& group,
                                                                             const std::string& topic,
                                                                             int64_t timestamp_ms) {
  auto route = impl_->inst->fetch_route(topic);
  if (!route) return route.error();
  std::map<message_queue, int64_t> out;
  for (auto& q : route->subscribe_queues(topic)) {
    auto off = search_offset(*impl_->inst, q, timestamp_ms);
    if (!off) return off.error();
    // SEARCH_OFFSET_BY_TIMESTAMP returns the nearer neighbour; a reset
    // must not skip the message stored just after the time.
    if (auto at = message_at(q, *off); at && at->store_timestamp < timestamp_ms) *off += 1;
    auto st = update_consumer_offset(*impl_->inst, group, q, *off, true);
    if (!st.ok()) return st;
    out[q] = *off;
  }
  log()->info("group {}: offsets of {} reset to time {} ({} queues)", group, topic, timestamp_ms, out.size());
  return out;
}

status admin_client::create_subscription_group(const std::string& cluster_name, const subscription_group_config& c) {
  if (c.group_name.empty()) return status::error(errc::invalid_argument, "group name is empty");
  json body = {{"brokerId", c.broker_id},
               {"consumeBroadcastEnable", c.consume_broadcast_enable},
               {"consumeEnable", c.consume_enable},
               {"consumeFromMinEnable", c.consume_from_min_enable},
               {"groupName", c.group_name},
               {"notifyConsumerIdsChangedEnable", c.notify_consumer_ids_changed_enable},
               {"retryMaxTimes", c.retry_max_times},
               {"retryQueueNums", c.retry_queue_nums},
               {"whichBrokerWhenConsumeSlowly", c.which_broker_when_consume_slowly}};
  return impl_->on_masters(cluster_name, [&](const std::string& m) {
    auto r = remoting_command::request(req::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
    r.body = remoting::to_json(body);
    return impl_->ok_call(m, std::move(r), "create subscription group " + c.group_name + " on " + m).error();
  });
}

status admin_client::delete_subscription_group(const std::string& cluster_name, const std::string& group) {
  return impl_->on_masters(cluster_name, [&](const std::string& m) {
    auto r = remoting_command::request(req::DELETE_SUBSCRIPTIONGROUP);
    r.set("groupName", group);
    r.set("removeOffset", "false");
    return impl_->ok_call(m, std::move(r), "delete subscription group " + group + " on " + m).error();
  });
}

result<std::vector<subscription_group_config>> admin_client::subscription_groups(const std::string& broker_addr) {
  auto j = impl_->json_call(broker_addr, remoting_command::request(req::GET_ALL_SUBSCRIPTIONGROUP_CONFIG),
                            "subscription groups of " + broker_addr);
  if (!j) return j.error();
  std::vector<subscription_group_config> out;
  try {
    json table = j->value("subscriptionGroupTable", json::object());
    for (auto& [name, v] : table.items()) {
      subscription_group_config c;
      c.group_name = v.value("groupName", name);
      c.consume_enable = v.value("consumeEnable", true);
      c.consume_from_min_enable = v.value("consumeFromMinEnable", true);
      c.consume_broadcast_enable = v.value("consumeBroadcastEnable", true);
      c.retry_queue_nums = v.value("retryQueueNums", 1);
      c.retry_max_times = v.value("retryMaxTimes", 16);
      c.broker_id = v.value("brokerId", int64_t{0});
      c.which_broker_when_consume_slowly = v.value("whichBrokerWhenConsumeSlowly", int64_t{1});
      c.notify_consumer_ids_changed_enable = v.value("notifyConsumerIdsChangedEnable", true);
      out.push_back(std::move(c));
    }
  } catch (const std::exception& e) {
    return status::error(errc::corrupt, std::string("malformed subscription groups: ") + e.what());
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.group_name < b.group_name; });
  return out;
}

result<std::vector<message_ext>> admin_client::query_message_by_key(const std::string& topic, const std::string& key,
                                                                    int max_num, int64_t begin_ms, int64_t end_ms) {
  // The index matches by hash: keep only real matches.
  return impl_->query(topic, key, max_num, begin_ms, end_ms, false, [&](const message_ext& m) {
    auto keys = m.keys();
    auto* uniq = m.property(property_uniq_client_message_id_keyidx);
    return std::find(keys.begin(), keys.end(), key) != keys.end() || (uniq && *uniq == key);
  });
}

result<std::vector<message_ext>> admin_client::query_message_by_unique_key(const std::string& topic,
                                                                           const std::string& uniq_key) {
  return impl_->query(topic, uniq_key, 32, 0, std::numeric_limits<int64_t>::max(), true, [&](const message_ext& m) {
    auto* u = m.property(property_uniq_client_message_id_keyidx);
    return u && *u == uniq_key;
  });
}

result<message_ext> admin_client::view_message(const std::string& offset_msg_id) {
  auto id = decode_offset_msg_id(offset_msg_id);
  if (!id) return status::error(errc::invalid_argument, "'" + offset_msg_id + "' is not an offset message id");
  auto r = remoting_command::request(req::VIEW_MESSAGE_BY_ID);
  r.set("offset", id->second);
  auto resp = impl_->ok_call(id->first.to_string(), std::move(r), "view message " + offset_msg_id);
  if (!resp) return resp.error();
  auto msgs = decode_records(resp->body, true);
  if (!msgs) return status::error(errc::corrupt, "malformed message body: " + msgs.error().message);
  if (msgs->size() != 1) return status::error(errc::corrupt, "view message returned " + std::to_string(msgs->size()) + " records");
  return std::move(msgs->front());
}

result<std::vector<message_ext>> admin_client::messages_from(const message_queue& q, int64_t offset, int max) {
  auto addr = impl_->inst->any_addr(q.broker_name);
  if (addr.empty()) {
    (void)impl_->inst->fetch_route(q.topic);
    addr = impl_->inst->any_addr(q.broker_name);
  }
  if (addr.empty()) return status::error(errc::not_found, "no broker named " + q.broker_name);
  auto sub = make_tag_subscription(q.topic, "*");
  auto r = make_pull_request("TOOLS_CONSUMER", q, offset, std::clamp(max, 1, 1024), 0, std::chrono::milliseconds(0), *sub);
  auto resp = impl_->inst->call(addr, std::move(r), impl_->opts.request_timeout);
  if (!resp) return resp.error();
  auto out = parse_pull_response(*resp, *sub, "TOOLS_CONSUMER");
  if (out.code != rc::SUCCESS) return std::vector<message_ext>{};
  return std::move(out.msgs);
}

result<std::vector<message_ext>> admin_client::query_messages_by_time(const std::string& topic, int64_t begin_ms,
                                                                      int64_t end_ms, int max) {
  auto route = impl_->inst->fetch_route(topic);
  if (!route) return route.error();
  std::vector<message_ext> out;
  for (auto& q : route->subscribe_queues(topic)) {
    auto off = search_offset(*impl_->inst, q, begin_ms);
    if (!off) return off.error();
    int64_t at = std::max<int64_t>(0, *off - 1);  // the search answers a neighbour: look one earlier
    while (static_cast<int>(out.size()) < max) {
      auto batch = messages_from(q, at, 32);
      if (!batch) return batch.error();
      if (batch->empty()) break;
      bool past = false;
      for (auto& m : *batch) {
        at = m.queue_offset + 1;
        if (m.store_timestamp > end_ms) {
          past = true;
          break;
        }
        if (m.store_timestamp >= begin_ms && static_cast<int>(out.size()) < max) out.push_back(std::move(m));
      }
      if (past) break;
    }
  }
  return out;
}

result<message_ext> admin_client::message_at(const message_queue& q, int64_t offset) {
  auto got = messages_from(q, offset, 1);
  if (!got) return got.error();
  if (got->empty())
    return status::error(errc::not_found, "no message at offset " + std::to_string(offset) + " of " + q.to_string());
  return std::move(got->front());
}

result<int> admin_client::resend_dlq(const std::string& group, const std::string& offset_msg_id, int64_t from_offset) {
  const std::string dlq = std::string(dlq_group_topic_prefix) + group;
  std::vector<message_ext> dead;
  if (!offset_msg_id.empty()) {
    auto m = view_message(offset_msg_id);
    if (!m) return m.error();
    if (m->topic != dlq) return status::error(errc::not_found, offset_msg_id + " is not a dead letter of " + group);
    dead.push_back(std::move(*m));
  } else {
    auto route = impl_->inst->fetch_route(dlq);
    if (!route) return route.error();
    for (auto& q : route->subscribe_queues(dlq)) {
      auto hi = max_offset(*impl_->inst, q);
      if (!hi) return hi.error();
      for (int64_t o = from_offset; o < *hi; ++o) {
        auto m = message_at(q, o);
        if (m) dead.push_back(std::move(*m));
      }
    }
  }
  producer* p;
  {
    std::lock_guard lk(impl_->producer_mu);
    if (!impl_->resender) {
      producer_options po;
      static_cast<client_options&>(po) = impl_->opts;
      po.instance_name = "";
      po.group = "TOOLS_RESEND_DLQ";
      impl_->resender = std::make_unique<producer>(po);
      if (auto st = impl_->resender->start(); !st.ok()) return st;
    }
    p = impl_->resender.get();
  }
  int sent = 0;
  for (auto& d : dead) {
    auto* original = d.property(property_retry_topic);
    if (!original || original->empty()) {
      log()->warn("dead letter {} of {} has no RETRY_TOPIC; not resent", d.msg_id, group);
      continue;
    }
    message m;
    m.topic = *original;
    m.flag = d.flag;
    m.body = d.body;
    m.properties = d.properties;
    for (auto k : {property_retry_topic, property_delay_time_level, property_real_topic, property_real_queue_id,
                   property_reconsume_time, property_max_reconsume_times, property_min_offset, property_max_offset,
                   property_wait_store_msg_ok, property_cluster})
      m.remove_property(k);
    m.remove_property("SCHEDULE_SOURCE");
    auto r = p->send(m);
    if (!r) return status::error(r.error().code, "resending " + d.msg_id + ": " + r.error().message);
    log()->info("dead letter {} of {} resent to {} as {}", d.msg_id, group, m.topic, r->offset_msg_id);
    ++sent;
  }
  return sent;
}

result<std::map<std::string, std::string>> admin_client::broker_runtime_info(const std::string& broker_addr) {
  auto j = impl_->json_call(broker_addr, remoting_command::request(req::GET_BROKER_RUNTIME_INFO),
                            "runtime info of " + broker_addr);
  if (!j) return j.error();
  std::map<std::string, std::string> out;
  json table = j->value("table", json::object());
  for (auto& [k, v] : table.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

result<remoting_command> admin_client::call(const std::string& addr, remoting_command req) {
  return impl_->inst->call(addr, std::move(req), impl_->opts.request_timeout);
}

std::vector<std::string> admin_client::namesrv_addrs() const { return split_addrs(impl_->opts.namesrv_addr); }

}  // namespace mq::client
