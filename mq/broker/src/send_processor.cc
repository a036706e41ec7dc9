// SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320):
// B/processor/SendMessageProcessor.java, rocketmq-protocol.md §2.1, §6.2.
#include <random>

#include "broker_impl.h"
#include "record_put.h"
#include "log.h"
#include "mq/common/batch.h"
#include "mq/common/crc.h"
#include "mq/common/message_id.h"
#include "mq/common/message_record.h"
#include "mq/common/properties.h"

namespace mq::broker {

namespace rc = remoting::response_code;
namespace req = remoting::request_code;

namespace {

struct send_header {
  std::string producer_group;
  std::string topic;
  std::string default_topic;
  int32_t default_topic_queue_nums = 4;
  int32_t queue_id = -1;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  int32_t flag = 0;
  std::string properties;
  int32_t reconsume_times = 0;
  std::optional<int32_t> max_reconsume_times;
  bool batch = false;
};

// V2 uses one-letter names for the same fields (SendMessageRequestHeaderV2).
std::optional<send_header> parse_header(const remoting_command& r, response* err) {
  bool v2 = r.code != req::SEND_MESSAGE;
  auto name = [v2](const char* v1, const char* v2n) { return v2 ? v2n : v1; };
  header_reader f{r, {}};
  send_header h;
  h.producer_group = f.str(name("producerGroup", "a"));
  h.topic = f.str(name("topic", "b"));
  h.default_topic = f.str(name("defaultTopic", "c"));
  h.default_topic_queue_nums = static_cast<int32_t>(f.num(name("defaultTopicQueueNums", "d")));
  h.queue_id = static_cast<int32_t>(f.num(name("queueId", "e")));
  h.sys_flag = static_cast<int32_t>(f.num(name("sysFlag", "f")));
  h.born_timestamp = f.num(name("bornTimestamp", "g"));
  h.flag = static_cast<int32_t>(f.num(name("flag", "h")));
  if (const std::string* p = r.field(name("properties", "i"))) h.properties = *p;
  h.reconsume_times = static_cast<int32_t>(f.opt_num(name("reconsumeTimes", "j")).value_or(0));
  if (auto m = f.opt_num(name("maxReconsumeTimes", "l"))) h.max_reconsume_times = static_cast<int32_t>(*m);
  h.batch = f.flag(name("batch", "m")) || r.code == req::SEND_BATCH_MESSAGE;
  if (auto e = f.error()) {
    *err = e;
    return std::nullopt;
  }
  return h;
}

int32_t map_put_status(store::put_status s) {
  switch (s) {
    case store::put_status::put_ok: return rc::SUCCESS;
    case store::put_status::flush_disk_timeout: return rc::FLUSH_DISK_TIMEOUT;
    case store::put_status::flush_slave_timeout: return rc::FLUSH_SLAVE_TIMEOUT;
    case store::put_status::slave_not_available: return rc::SLAVE_NOT_AVAILABLE;
    case store::put_status::message_illegal:
    case store::put_status::properties_size_exceeded: return rc::MESSAGE_ILLEGAL;
    case store::put_status::service_not_available: return rc::SERVICE_NOT_AVAILABLE;
    case store::put_status::create_mapped_file_failed:
    case store::put_status::os_pagecache_busy:
    case store::put_status::unknown_error: return rc::SYSTEM_ERROR;
  }
  return rc::SYSTEM_ERROR;
}

thread_local std::minstd_rand queue_rng{std::random_device{}()};

}  // namespace

response broker_controller::impl::process_send(const channel_ptr& ch, remoting_command& r) {
  auto t0 = std::chrono::steady_clock::now();
  response err;
  auto h = parse_header(r, &err);
  if (!h) return err;

  if (cfg.role == broker_role::slave) {
    return reply(r, rc::SERVICE_NOT_AVAILABLE, "broker role is SLAVE, cannot write");
  }
  if (!writeable()) {
    return reply(r, rc::NO_PERMISSION, broker_perm_text() + "sending message is forbidden");
  }
  std::string why;
  if (!valid_topic_name(h->topic, &why)) return reply(r, rc::SYSTEM_ERROR, why);
  if (is_send_forbidden_topic(h->topic)) {
    return reply(r, rc::NO_PERMISSION, "Sending message to topic[" + h->topic + "] is forbidden.");
  }

  // Topic lookup and auto-creation (AbstractSendMessageProcessor.msgCheck).
  auto tc = topics->find(h->topic);
  if (!tc) {
    bool created = false;
    bool retry = h->topic.rfind(mq::retry_group_topic_prefix, 0) == 0;
    if (rt.auto_create_topic_enable.load()) {
      tc = topics->create_from_default(h->topic, h->default_topic, h->default_topic_queue_nums, 0, &created);
    }
    if (!tc && retry) tc = topics->create_if_missing(h->topic, 1, perm::read | perm::write, 0, &created);
    if (!tc) {
      log()->warn("send to unknown topic {} from {} refused (group {})", h->topic, ch->remote_address(),
                  h->producer_group);
      return reply(r, rc::TOPIC_NOT_EXIST, "topic[" + h->topic + "] not exist, apply first please!");
    }
    if (created) request_register();
  }
  if (!perm::writeable(tc->perm)) {
    return reply(r, rc::NO_PERMISSION, "the topic[" + h->topic + "] sending message is forbidden");
  }
  int32_t queue_id = h->queue_id;
  int32_t max_q = std::max(tc->read_queue_nums, tc->write_queue_nums);
  if (queue_id >= max_q) {
    return reply(r, rc::SYSTEM_ERROR, "request queueId[" + std::to_string(queue_id) + "] is illegal, topic " +
                                          h->topic + " has " + std::to_string(max_q) + " queues, producer: " +
                                          ch->remote_address());
  }
  if (queue_id < 0) {
    if (tc->write_queue_nums <= 0) return reply(r, rc::NO_PERMISSION, "topic " + h->topic + " has no write queue");
    queue_id = static_cast<int32_t>(queue_rng() % static_cast<uint32_t>(tc->write_queue_nums));
  }

  auto props = decode_properties(h->properties);
  std::string topic = h->topic;

  // %RETRY% sends past the group's maximum go to the dead-letter queue (§6.5).
  std::string dlq_group, dlq_origin;  // set when this send goes to a DLQ (metrics)
  if (topic.rfind(mq::retry_group_topic_prefix, 0) == 0) {
    if (h->batch) return reply(r, rc::MESSAGE_ILLEGAL, "batch messages cannot be sent to a retry topic");
    std::string group = topic.substr(mq::retry_group_topic_prefix.size());
    auto sg = groups->find(group, rt.auto_create_subscription_group.load());
    if (!sg) return reply(r, rc::SUBSCRIPTION_GROUP_NOT_EXIST, "subscription group not exist, " + group);
    int32_t max_times = sg->retry_max_times;
    if (r.version >= 121 && h->max_reconsume_times) max_times = *h->max_reconsume_times;
    if (h->reconsume_times >= max_times) {
      bool created = false;
      topic = std::string(mq::dlq_group_topic_prefix) + group;
      topics->create_if_missing(topic, 1, perm::read | perm::write, 0, &created);
      if (created) request_register();
      queue_id = 0;
      props.erase(std::string(mq::property_delay_time_level));
      dlq_group = group;
      auto origin = props.find(std::string(mq::property_retry_topic));
      dlq_origin = origin != props.end() ? origin->second : h->topic;
      log()->warn("message from {} to {} reached {} reconsume times: moved to {}", ch->remote_address(), h->topic,
                  h->reconsume_times, topic);
    }
  }

  auto tran = props.find(std::string(mq::property_transaction_prepared));
  bool half = tran != props.end() && tran->second == "true";
  if (half) {
    if (rt.reject_transaction_message.load())
      return reply(r, rc::NO_PERMISSION, broker_perm_text() + "sending transaction message is forbidden");
    if (h->batch || r.code == req::SEND_BATCH_MESSAGE)
      return reply(r, rc::MESSAGE_ILLEGAL, "a transactional message cannot be sent in a batch");
    if (auto d = props.find(std::string(mq::property_delay_time_level)); d != props.end() && d->second != "0")
      return reply(r, rc::MESSAGE_ILLEGAL, "a transactional message cannot be delayed");
  }

  bool wait = true;
  if (auto w = props.find(std::string(mq::property_wait_store_msg_ok)); w != props.end()) {
    wait = w->second == "true" || w->second == "TRUE" || w->second == "True";
    props.erase(w);
  }
  props[std::string(mq::property_cluster)] = cfg.broker_cluster_name;

  message_ext m;
  m.topic = topic;
  m.flag = h->flag;
  m.queue_id = queue_id;
  m.sys_flag = h->sys_flag & ~(sys_flag::bornhost_v6 | sys_flag::storehost_v6);
  if (tc->topic_filter_type == "MULTI_TAG") m.sys_flag |= sys_flag::multi_tags;
  m.born_timestamp = h->born_timestamp;
  if (auto born = socket_address::parse(ch->remote_address())) m.born_host = *born;
  m.store_host = store_host;
  m.reconsume_times = h->reconsume_times;

  auto type = tc->order ? broker_metrics::message_type::fifo : broker_metrics::message_type::normal;
  store::put_request put;
  put.topic = topic;
  put.queue_id = queue_id;
  put.sys_flag = m.sys_flag;
  put.wait_store_msg_ok = wait;

  if (r.code == req::SEND_BATCH_MESSAGE) {
    if (r.body.size() > static_cast<size_t>(cfg.max_message_size)) {
      return reply(r, rc::MESSAGE_ILLEGAL, "the batch body is larger than maxMessageSize " +
                                               std::to_string(cfg.max_message_size));
    }
    auto inner = decode_batch(r.body);
    if (!inner) return reply(r, rc::MESSAGE_ILLEGAL, "bad batch body: " + inner.error().message);
    if (inner->empty()) return reply(r, rc::MESSAGE_ILLEGAL, "empty batch");
    put.records.reserve(inner->size());
    for (auto& im : *inner) {
      message_ext e = m;
      e.flag = im.flag;
      e.body = std::move(im.body);
      e.properties = std::move(im.properties);
      if (e.delay_level() > 0) return reply(r, rc::MESSAGE_ILLEGAL, "a batch message cannot be delayed");
      e.properties.erase(std::string(mq::property_wait_store_msg_ok));
      e.properties[std::string(mq::property_cluster)] = cfg.broker_cluster_name;
      e.body_crc = static_cast<int32_t>(rocketmq_crc32(e.body));
      auto rec = encode_record(e);
      if (!rec) return reply(r, rc::MESSAGE_ILLEGAL, rec.error().message);
      put.records.push_back(std::move(*rec));
    }
  } else {
    m.properties = std::move(props);
    m.body = std::move(r.body);
    // DELAY = L > 0 on a normal (or commit) message: park it in the schedule
    // queue of level L (§6.6); the reply keeps the requested queue id.
    int32_t tran_type = sys_flag::transaction_value(m.sys_flag);
    if (half) {
      type = broker_metrics::message_type::transaction;
      // Stored in the half topic until END_TRANSACTION or the check decides (§6.7).
      transaction_service::as_half(m);
      put.topic = m.topic;
      put.queue_id = m.queue_id;
      put.sys_flag = m.sys_flag;
    } else if (m.delay_level() > 0 && (tran_type == sys_flag::transaction_not_type ||
                                       tran_type == sys_flag::transaction_commit_type)) {
      type = broker_metrics::message_type::delay;
      schedule->as_scheduled(m, m.delay_level());
      put.topic = m.topic;
      put.queue_id = m.queue_id;
    }
    m.body_crc = static_cast<int32_t>(rocketmq_crc32(m.body));
    auto rec = encode_record(m);
    if (!rec) return reply(r, rc::MESSAGE_ILLEGAL, rec.error().message);
    put.records.push_back(std::move(*rec));
  }

  size_t n = put.records.size();
  size_t bytes = 0;
  for (auto& x : put.records) bytes += x.size();
  // The reply is sent when the store is done: at once under ASYNC_FLUSH,
  // after the covering fdatasync under SYNC_FLUSH (no thread waits for it).
  auto reply_to = std::make_shared<remoting_command>(reply(r, rc::SUCCESS));
  bool oneway = r.is_oneway();
  store->put_async(std::move(put), [this, ch, reply_to, oneway, n, bytes, topic, queue_id, type, t0, request_code = r.code,
                                    dlq_group = std::move(dlq_group), dlq_origin = std::move(dlq_origin)](store::put_result res) {
    auto resp = std::move(*reply_to);
    int32_t code = map_put_status(res.status);
    if (code != rc::SUCCESS && code != rc::FLUSH_DISK_TIMEOUT && code != rc::FLUSH_SLAVE_TIMEOUT &&
        code != rc::SLAVE_NOT_AVAILABLE) {
      stats.send_failures.fetch_add(1, std::memory_order_relaxed);
      log()->warn("store refused a send to {}:{} from {}: {} {}", topic, queue_id, ch->remote_address(),
                  store::to_string(res.status), res.error);
      std::string remark = store::to_string(res.status);
      if (!res.error.empty()) remark += ": " + res.error;
      if (res.status == store::put_status::os_pagecache_busy) remark = "[PC_SYNCHRONIZED]broker busy, " + remark;
      resp.code = code;
      resp.remark = std::move(remark);
    } else {
      stats.put_msgs.fetch_add(n, std::memory_order_relaxed);
      stats.put_bytes.fetch_add(bytes, std::memory_order_relaxed);
      metrics.on_put(topic, type, n, bytes);
      if (!dlq_group.empty()) metrics.on_dlq(dlq_origin, dlq_group);
      resp.code = code;
      if (n == 1) {
        resp.set("msgId", encode_offset_msg_id(store_host, res.wrote_offset));
      } else {
        std::string ids;
        for (size_t i = 0; i < res.offsets.size(); ++i) {
          if (i) ids += ',';
          ids += encode_offset_msg_id(store_host, res.offsets[i]);
        }
        resp.set("msgId", ids);
      }
      resp.set("queueId", static_cast<int64_t>(queue_id));
      resp.set("queueOffset", res.queue_offset);
      resp.set("MSG_REGION", cfg.region_id);
      resp.set("TRACE_ON", rt.trace_on.load() ? "true" : "false");
    }
    metrics.on_send_latency(request_code, resp.code, std::chrono::duration_cast<std::chrono::microseconds>(
                                                        std::chrono::steady_clock::now() - t0));
    if (!oneway) ch->send(std::move(resp));
  });
  return std::nullopt;
}

void broker_controller::impl::put_and_reply(const channel_ptr& ch, const remoting_command& r, message_ext m,
                                            bool wait) {
  auto put = single_put(m, wait);
  if (!put) {
    ch->send(reply(r, rc::SYSTEM_ERROR, put.error().message));
    return;
  }
  auto resp = std::make_shared<remoting_command>(reply(r, rc::SUCCESS));
  store->put_async(std::move(*put), [ch, resp](store::put_result res) {
    if (!res.ok() && res.status != store::put_status::flush_disk_timeout &&
        res.status != store::put_status::flush_slave_timeout && res.status != store::put_status::slave_not_available) {
      resp->code = rc::SYSTEM_ERROR;
      resp->remark = store::to_string(res.status);
    }
    ch->send(std::move(*resp));
  });
}

// CONSUMER_SEND_MSG_BACK (rocketmq-protocol.md §6.5, Java
// SendMessageProcessor.consumerSendMsgBack): the consumed message, found by
// its commit-log offset, goes to %RETRY%<group> with a growing delay, or to
// %DLQ%<group> once it has been reconsumed maxReconsumeTimes times.
response broker_controller::impl::process_send_back(const channel_ptr& ch, remoting_command& r) {
  header_reader f{r, {}};
  int64_t offset = f.num("offset");
  std::string group = f.str("group");
  int64_t delay_level = f.num("delayLevel");
  const std::string* origin_msg_id = r.field("originMsgId");
  auto max_reconsume = f.opt_num("maxReconsumeTimes");
  if (auto e = f.error()) return e;
  auto sg = groups->find(group, rt.auto_create_subscription_group.load());
  if (!sg) return reply(r, rc::SUBSCRIPTION_GROUP_NOT_EXIST, "subscription group not exist, " + group);
  if (!writeable()) return reply(r, rc::NO_PERMISSION, broker_perm_text() + "sending message is forbidden");
  if (sg->retry_queue_nums <= 0) return reply(r, rc::SUCCESS);  // the group wants no retries: dropped
  auto record = offset >= 0 ? store->read_record(offset) : std::nullopt;
  if (!record) return reply(r, rc::SYSTEM_ERROR, "look message by offset failed, " + std::to_string(offset));
  auto found = decode_record(*record, false);
  if (!found) return reply(r, rc::SYSTEM_ERROR, "look message by offset failed, " + std::to_string(offset));
  message_ext m = std::move(*found);
  if (!m.property(property_retry_topic)) m.put_property(std::string(property_retry_topic), m.topic);
  int32_t max_times = sg->retry_max_times;
  if (r.version >= 121 && max_reconsume) max_times = static_cast<int32_t>(*max_reconsume);
  std::string id = m.property(property_uniq_client_message_id_keyidx) ? *m.property(property_uniq_client_message_id_keyidx)
                                                                       : m.msg_id;
  if (!m.property(property_origin_message_id))
    m.put_property(std::string(property_origin_message_id), origin_msg_id && !origin_msg_id->empty() ? *origin_msg_id : m.msg_id);
  bool dlq = m.reconsume_times >= max_times || delay_level < 0;
  if (dlq) {
    bool created = false;
    m.topic = std::string(mq::dlq_group_topic_prefix) + group;
    topics->create_if_missing(m.topic, 1, perm::read | perm::write, 0, &created);
    if (created) request_register();
    m.queue_id = 0;
    m.remove_property(property_delay_time_level);
    metrics.on_dlq(*m.property(property_retry_topic), group);
    log()->warn("group {}: message {} reconsumed {} times (max {}): moved to {}", group, id, m.reconsume_times,
                max_times, m.topic);
  } else {
    auto tc = retry_topic_for(group, *sg);
    m.topic = tc.topic_name;
    m.queue_id = static_cast<int32_t>(queue_rng() % static_cast<uint32_t>(std::max(1, tc.write_queue_nums)));
    int level = delay_level == 0 ? 3 + m.reconsume_times : static_cast<int>(delay_level);
    schedule->as_scheduled(m, level);
    log()->info("group {}: message {} sent back (reconsume {} → delay level {})", group, id, m.reconsume_times + 1,
                schedule->clamp(level));
  }
  m.reconsume_times += 1;
  m.put_property(std::string(property_wait_store_msg_ok), "false");
  m.store_host = store_host;
  m.sys_flag &= ~(sys_flag::bornhost_v6 | sys_flag::storehost_v6);
  put_and_reply(ch, r, std::move(m), false);
  return std::nullopt;
}

// END_TRANSACTION (normally oneway): commit or roll back a half message.
response broker_controller::impl::process_end_transaction(const channel_ptr& ch, remoting_command& r) {
  header_reader f{r, {}};
  std::string group = f.str("producerGroup");
  int64_t queue_offset = f.num("tranStateTableOffset");
  int64_t commit_log_offset = f.num("commitLogOffset");
  int64_t type = f.num("commitOrRollback");
  bool from_check = f.flag("fromTransactionCheck");
  if (auto e = f.error()) {
    log()->warn("END_TRANSACTION from {} with bad headers: {}", ch->remote_address(), e->remark.value_or(""));
    return r.is_oneway() ? std::nullopt : e;
  }
  if (cfg.role == broker_role::slave) {
    // EndTransactionProcessor: a slave cannot end a transaction.
    log()->warn("END_TRANSACTION from {} (group {}) refused: this broker is a slave", ch->remote_address(), group);
    if (r.is_oneway()) return std::nullopt;
    return reply(r, rc::SLAVE_NOT_AVAILABLE, "Message's broker role is slave, cannot end transaction");
  }
  if (r.remark && !r.remark->empty())
    log()->info("END_TRANSACTION from {} (group {}): remark {}", ch->remote_address(), group, *r.remark);
  std::string real_topic;
  auto st = transactions->end(commit_log_offset, queue_offset, group, static_cast<int32_t>(type), from_check, &real_topic);
  if (st.ok() && !real_topic.empty()) metrics.on_end_transaction(real_topic, type == sys_flag::transaction_commit_type);
  if (!st.ok()) {
    log()->warn("END_TRANSACTION from {} (group {}) refused: {}", ch->remote_address(), group, st.message);
    if (r.is_oneway()) return std::nullopt;
    return reply(r, rc::SYSTEM_ERROR, st.message);
  }
  if (r.is_oneway()) return std::nullopt;
  return reply(r, rc::SUCCESS);
}

}  // namespace mq::broker
