// PULL_MESSAGE (11): B/processor/PullMessageProcessor.java and long polling,
// rocketmq-protocol.md §2.1, §6.3.
#include <unistd.h>

#include <algorithm>

#include "broker_impl.h"
#include "mq/common/message_record.h"
#include "mq/common/properties.h"
#include "log.h"

namespace mq::broker {

namespace rc = remoting::response_code;

namespace {

// PullSysFlag.
constexpr int64_t kCommitOffset = 0x1;
constexpr int64_t kSuspend = 0x2;
constexpr int64_t kSubscription = 0x4;

// Java MessageStoreConfig maxTransferCount/BytesOnMessageInMemory.
constexpr int32_t kMaxTransferCount = 32;
constexpr int64_t kMaxTransferBytes = 256 * 1024;
// A hostile suspend time must not park a request for ever.
constexpr int64_t kMaxSuspendMs = 5 * 60 * 1000;

// The share of RAM a master serves reads from before it sends a consumer
// that far behind to a slave (accessMessageInMemoryMaxRatio).
int64_t memory_for_reads(int32_t ratio_percent) {
  static const int64_t total = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
  return total / 100 * ratio_percent;
}

}  // namespace

response broker_controller::impl::process_pull(const channel_ptr& ch, remoting_command& r, bool allow_suspend) {
  header_reader f{r, {}};
  std::string group = f.str("consumerGroup");
  std::string topic = f.str("topic");
  int64_t queue_id = f.num("queueId");
  int64_t queue_offset = f.num("queueOffset");
  int64_t max_msgs = f.num("maxMsgNums");
  int64_t sys_flag = f.num("sysFlag");
  int64_t commit_offset = f.num("commitOffset");
  int64_t suspend_ms = f.num("suspendTimeoutMillis");
  int64_t sub_version = f.opt_num("subVersion").value_or(0);
  if (auto e = f.error()) return e;

  auto resp = reply(r, rc::SUCCESS);
  auto set_offsets = [&](int64_t next, int64_t min, int64_t max) {
    resp.set("suggestWhichBrokerId", int64_t{0});
    resp.set("nextBeginOffset", next);
    resp.set("minOffset", min);
    resp.set("maxOffset", max);
  };
  auto fail = [&](int32_t code, std::string remark) {
    resp.code = code;
    resp.remark = std::move(remark);
    set_offsets(queue_offset, 0, 0);
    return resp;
  };

  if (!readable()) return fail(rc::NO_PERMISSION, broker_perm_text() + "pulling message is forbidden");
  auto sg = groups->find(group, rt.auto_create_subscription_group.load());
  if (!sg) return fail(rc::SUBSCRIPTION_GROUP_NOT_EXIST, "subscription group [" + group + "] does not exist");
  if (!sg->consume_enable) return fail(rc::NO_PERMISSION, "subscription group no permission, " + group);
  auto tc = topics->find(topic);
  if (!tc) {
    log()->warn("pull of unknown topic {} by group {} from {}", topic, group, ch->remote_address());
    return fail(rc::TOPIC_NOT_EXIST, "topic[" + topic + "] not exist, apply first please!");
  }
  if (!perm::readable(tc->perm)) return fail(rc::NO_PERMISSION, "the topic[" + topic + "] pulling message is forbidden");
  if (queue_id < 0 || queue_id >= tc->read_queue_nums) {
    return fail(rc::SYSTEM_ERROR, "queueId[" + std::to_string(queue_id) + "] is illegal, topic:[" + topic +
                                      "] topicConfig.readQueueNums:[" + std::to_string(tc->read_queue_nums) +
                                      "] consumer:[" + ch->remote_address() + "]");
  }
  if (queue_offset < 0) return fail(rc::SYSTEM_ERROR, "queueOffset[" + std::to_string(queue_offset) + "] is illegal");

  // The subscription: from the request, or from the group's heartbeat.
  std::optional<subscription_data> sub;
  std::shared_ptr<const sql_filter> sql;
  // SQL92 subscriptions: compiled (and cached), or refused with the parse error.
  auto use_sql = [&](const std::string& expression) -> response {
    if (!cfg.enable_property_filter)
      return fail(rc::SYSTEM_ERROR, "The broker does not support consumer to filter message by SQL92");
    auto f = sql_for(expression);
    if (!f) return fail(rc::SUBSCRIPTION_PARSE_FAILED, "parse the consumer's subscription failed: " + f.error().message);
    sql = *f;
    return std::nullopt;
  };
  if (sys_flag & kSubscription) {
    const std::string* expr = r.field("subscription");
    const std::string* type = r.field("expressionType");
    if (type && *type == "SQL92") {
      if (auto e = use_sql(expr ? *expr : "")) return e;
      sub = subscription_data{topic, expr ? *expr : "", {}, {}, sub_version, "SQL92", false};
    } else if (type && !type->empty() && *type != "TAG") {
      return fail(rc::SYSTEM_ERROR, "The broker does not support consumer to filter message by " + *type);
    } else {
      sub = subscription_data::build(topic, expr ? *expr : "*", sub_version);
    }
  } else {
    auto info = consumers.group(group);
    if (!info) return fail(rc::SUBSCRIPTION_NOT_EXIST, "the consumer's group info not exist");
    if (info->message_model == "BROADCASTING" && !sg->consume_broadcast_enable) {
      return fail(rc::NO_PERMISSION, "the consumer group[" + group + "] can not consume by broadcast way");
    }
    auto s = info->subscriptions.find(topic);
    if (s == info->subscriptions.end()) return fail(rc::SUBSCRIPTION_NOT_EXIST, "the consumer's subscription not exist");
    if (s->second.sub_version < sub_version) {
      return fail(rc::SUBSCRIPTION_NOT_LATEST, "the consumer's subscription not latest");
    }
    if (s->second.expression_type == "SQL92") {
      if (auto e = use_sql(s->second.sub_string)) return e;
    } else if (s->second.expression_type != "TAG") {
      return fail(rc::SYSTEM_ERROR, "The broker does not support consumer to filter message by " +
                                        s->second.expression_type);
    }
    sub = s->second;
  }

  store::tags_filter filter;
  if (sub && !sql && !sub->accepts_all()) {
    filter = [codes = sub->code_set](int64_t tags_code) { return codes.count(static_cast<int32_t>(tags_code)) != 0; };
  }
  int32_t want = static_cast<int32_t>(std::clamp<int64_t>(max_msgs, 1, kMaxTransferCount));
  auto got = store->get_message(topic, static_cast<int32_t>(queue_id), queue_offset, want, kMaxTransferBytes, filter);

  if (sql && got.status == store::get_status::found) {
    // SQL92: keep the records whose properties match (the consume queue has
    // only tags); none left → NO_MATCHED_MESSAGE, and the consumer moves on.
    std::string kept;
    int32_t n = 0;
    std::string_view rest = got.body;
    while (!rest.empty()) {
      auto v = parse_record_view(rest, false);
      if (!v || v->total_size <= 0 || static_cast<size_t>(v->total_size) > rest.size()) break;
      auto record = rest.substr(0, static_cast<size_t>(v->total_size));
      if (sql->matches(decode_properties(v->properties))) {
        kept.append(record);
        ++n;
      }
      rest.remove_prefix(record.size());
    }
    got.body = std::move(kept);
    got.msg_count = n;
    if (n == 0) got.status = store::get_status::no_matched_message;
  }

  // Which broker of the group the consumer should pull from next
  // (PullMessageProcessor): a consumer further behind than
  // accessMessageInMemoryMaxRatio % of RAM is sent to (or kept on) a slave
  // when slave reads are on, else back to the master; a slave without
  // slaveReadEnable serves nothing.
  int64_t suggest = 0;
  if (cfg.slave_read_enable && got.status == store::get_status::found) {
    auto v = parse_record_view(got.body, false);
    if (v && store->commit_log_max_offset() - v->physical_offset > memory_for_reads(cfg.access_message_in_memory_max_ratio)) {
      suggest = sg->which_broker_when_consume_slowly;
    }
  }
  bool slave_refuses = cfg.role == broker_role::slave && !cfg.slave_read_enable;

  int32_t code = rc::SUCCESS;
  switch (got.status) {
    case store::get_status::found: code = rc::SUCCESS; break;
    case store::get_status::no_matched_message:
    case store::get_status::message_was_removing: code = rc::PULL_RETRY_IMMEDIATELY; break;
    case store::get_status::no_message_in_queue:
    case store::get_status::no_matched_logic_queue:
      code = queue_offset == 0 ? rc::PULL_NOT_FOUND : rc::PULL_OFFSET_MOVED;
      break;
    case store::get_status::offset_too_small:
    case store::get_status::offset_overflow_badly: code = rc::PULL_OFFSET_MOVED; break;
    case store::get_status::offset_overflow_one:
    case store::get_status::offset_found_null: code = rc::PULL_NOT_FOUND; break;
  }
  if (slave_refuses) {
    code = rc::PULL_RETRY_IMMEDIATELY;
    got.body.clear();
    got.msg_count = 0;
    got.next_begin_offset = queue_offset;
  }
  if (code == rc::PULL_OFFSET_MOVED) {
    log()->info("pull offset moved: group {} {}:{} requested {} -> next {} (min {}, max {})", group, topic, queue_id,
                queue_offset, got.next_begin_offset, got.min_offset, got.max_offset);
  }

  // Commit-offset piggyback: first pass only, never on a slave.
  if (allow_suspend && (sys_flag & kCommitOffset) && cfg.role != broker_role::slave) {
    offsets->commit(group, topic, static_cast<int32_t>(queue_id), commit_offset);
  }

  if (code == rc::PULL_NOT_FOUND && allow_suspend && (sys_flag & kSuspend)) {
    int64_t hold_ms = rt.long_polling_enable.load() ? std::clamp<int64_t>(suspend_ms, 0, kMaxSuspendMs)
                                                    : rt.short_polling_time_mills.load();
    held_pull p;
    p.ch = ch;
    p.request = r;
    p.offset = queue_offset;
    p.deadline_ms = steady_ms() + hold_ms;
    if (filter) p.filter = sub;
    hold->hold(topic, static_cast<int32_t>(queue_id), std::move(p));
    return std::nullopt;
  }

  resp.code = code;
  resp.remark = store::to_string(got.status);
  set_offsets(got.next_begin_offset, got.min_offset, got.max_offset);
  resp.set("suggestWhichBrokerId", slave_refuses ? int64_t{0} : suggest);
  if (code == rc::SUCCESS) {
    stats.get_msgs.fetch_add(static_cast<uint64_t>(got.msg_count), std::memory_order_relaxed);
    stats.get_bytes.fetch_add(got.body.size(), std::memory_order_relaxed);
    metrics.on_get(topic, group, static_cast<uint64_t>(got.msg_count), got.body.size());
    resp.body = std::move(got.body);
  }
  return resp;
}

result<std::shared_ptr<const sql_filter>> broker_controller::impl::sql_for(const std::string& expression) {
  std::lock_guard lk(sql_mu_);
  if (auto it = sql_cache_.find(expression); it != sql_cache_.end()) return it->second;
  auto f = sql_filter::compile(expression);
  if (!f) return f.error();
  if (sql_cache_.size() >= 1024) sql_cache_.clear();
  auto p = std::make_shared<const sql_filter>(std::move(*f));
  sql_cache_[expression] = p;
  return p;
}

void broker_controller::impl::rerun_pull(held_pull&& p) {
  auto task = [this, p = std::make_shared<held_pull>(std::move(p))]() {
    auto resp = process_pull(p->ch, p->request, false);
    if (resp) p->ch->send(std::move(*resp));
  };
  if (!pull_pool->try_submit(task)) {
    // The pool is full or stopping: answer from here rather than drop it.
    task();
  }
}

}  // namespace mq::broker
