#include "transaction_service.h"

#include <nlohmann/json.hpp>

#include "clock.h"
#include "json_file.h"
#include "log.h"
#include "mq/common/message_const.h"
#include "mq/common/message_id.h"
#include "mq/common/message_record.h"
#include "mq/remoting/remoting_command.h"
#include "record_put.h"

namespace mq::broker {

namespace {
const std::string half_topic(rmq_sys_trans_half_topic);
const std::string op_topic(rmq_sys_trans_op_half_topic);
constexpr const char* remove_tag = "d";
}  // namespace

transaction_service::transaction_service(store::message_store& store, transaction_options opts,
                                         socket_address store_host,
                                         std::function<remoting::channel_ptr(const std::string&)> producer_channel,
                                         std::string checks_path)
    : store_(store),
      opts_(opts),
      store_host_(store_host),
      producer_channel_(std::move(producer_channel)),
      checks_path_(std::move(checks_path)) {}

transaction_service::~transaction_service() { stop(); }

void transaction_service::set_store_host(socket_address h) {
  std::lock_guard lk(mu_);
  store_host_ = h;
}

void transaction_service::as_half(message_ext& m) {
  m.put_property(std::string(property_real_topic), m.topic);
  m.put_property(std::string(property_real_queue_id), std::to_string(m.queue_id));
  m.sys_flag = sys_flag::reset_transaction_value(m.sys_flag, sys_flag::transaction_not_type);
  m.topic = half_topic;
  m.queue_id = 0;
}

void transaction_service::load_done() {
  int64_t offset = std::max<int64_t>(0, store_.min_offset_in_queue(op_topic, 0));
  while (true) {
    auto got = store_.get_message(op_topic, 0, offset, 32, 8 * 1024 * 1024, nullptr);
    if (got.status != store::get_status::found) break;
    auto recs = decode_records(got.body, false);
    if (!recs) break;
    for (auto& r : *recs) done_.insert(std::atoll(r.body.c_str()));
    offset = got.next_begin_offset;
  }
  scan_from_ = std::max<int64_t>(0, store_.min_offset_in_queue(half_topic, 0));
  while (done_.contains(scan_from_)) ++scan_from_;
  if (auto j = load_json_file(checks_path_); j && j->contains("checks") && (*j)["checks"].is_object()) {
    for (auto& [k, v] : (*j)["checks"].items()) {
      int64_t off = std::atoll(k.c_str());
      if (v.is_number_integer() && !done_.contains(off)) checks_[off] = v.get<int32_t>();
    }
    if (auto d = j->find("discarded"); d != j->end() && d->is_array())
      for (auto& off : *d)
        if (off.is_number_integer()) discarded_.insert(off.get<int64_t>());
  }
}

void transaction_service::persist_checks() {
  nlohmann::json table = nlohmann::json::object();
  for (auto& [off, n] : checks_) table[std::to_string(off)] = n;
  if (!persist_json_file(checks_path_, {{"checks", table}, {"discarded", discarded_}}))
    log()->error("transactions: cannot write {}", checks_path_);
}

void transaction_service::start() {
  {
    std::lock_guard lk(mu_);
    load_done();
  }
  log()->info("transactions: {} half messages done, checking from half offset {} (timeout {} ms, interval {} ms, max {})",
              done_.size(), scan_from_, opts_.timeout_ms, opts_.check_interval_ms, opts_.check_max);
  thread_ = std::thread([this] { run(); });
}

void transaction_service::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

status transaction_service::write_op(int64_t half_queue_offset) {
  message_ext op;
  op.topic = op_topic;
  op.queue_id = 0;
  op.body = std::to_string(half_queue_offset);
  op.set_tags(remove_tag);
  op.born_timestamp = now_ms();
  op.born_host = store_host_;
  op.store_host = store_host_;
  auto put = single_put(op, true);
  if (!put) return put.error();
  auto res = store_.put(std::move(*put));
  if (!res.ok()) return status::error(errc::io_error, std::string("op record: ") + store::to_string(res.status));
  done_.insert(half_queue_offset);
  while (done_.contains(scan_from_)) ++scan_from_;
  return status::success();
}

status transaction_service::end(int64_t commit_log_offset, int64_t queue_offset, const std::string& group,
                                int32_t type, bool from_check, std::string* real_topic_out) {
  if (type == sys_flag::transaction_not_type) return status::success();  // unknown: wait for the check
  if (type != sys_flag::transaction_commit_type && type != sys_flag::transaction_rollback_type)
    return status::error(errc::invalid_argument, "commitOrRollback must be 0, 8 or 12");
  std::lock_guard lk(mu_);
  if (done_.contains(queue_offset)) {
    log()->info("END_TRANSACTION for half offset {} again (already done); ignored", queue_offset);
    return status::success();
  }
  auto rec = store_.read_record(commit_log_offset);
  auto half = rec ? decode_record(*rec, false) : result<message_ext>(status::error(errc::not_found, ""));
  if (!half || half->topic != half_topic || half->queue_offset != queue_offset)
    return status::error(errc::invalid_argument, "no half message at commit-log offset " +
                                                     std::to_string(commit_log_offset) + " / queue offset " +
                                                     std::to_string(queue_offset));
  auto* pgroup = half->property(property_producer_group);
  if (!pgroup || *pgroup != group)
    return status::error(errc::invalid_argument, "the half message belongs to producer group " +
                                                     (pgroup ? *pgroup : std::string("?")) + ", not " + group);
  std::string id = half->property(property_uniq_client_message_id_keyidx) ? *half->property(property_uniq_client_message_id_keyidx)
                                                                           : half->msg_id;
  if (type == sys_flag::transaction_commit_type) {
    message_ext m = *half;
    auto* real_topic = m.property(property_real_topic);
    auto* real_qid = m.property(property_real_queue_id);
    if (!real_topic || !real_qid) return status::error(errc::invalid_argument, "half message without REAL_TOPIC");
    m.topic = *real_topic;
    m.queue_id = std::atoi(real_qid->c_str());
    m.remove_property(property_real_topic);
    m.remove_property(property_real_queue_id);
    m.sys_flag = sys_flag::reset_transaction_value(m.sys_flag, sys_flag::transaction_commit_type);
    m.prepared_transaction_offset = commit_log_offset;
    m.store_host = store_host_;
    auto put = single_put(m, true);
    if (!put) return put.error();
    auto res = store_.put(std::move(*put));
    if (!res.ok() && res.status != store::put_status::flush_disk_timeout)
      return status::error(errc::io_error, std::string("commit: ") + store::to_string(res.status));
  }
  auto st = write_op(queue_offset);
  if (!st.ok()) return st;
  checks_.erase(queue_offset);
  if (real_topic_out) {
    auto* rt = half->property(property_real_topic);
    *real_topic_out = rt ? *rt : std::string();
  }
  log()->info("transaction {} (group {}) {}{}", id, group,
              type == sys_flag::transaction_commit_type ? "committed" : "rolled back", from_check ? " after a check" : "");
  return status::success();
}

size_t transaction_service::pending() const {
  std::lock_guard lk(mu_);
  int64_t max = store_.max_offset_in_queue(half_topic, 0);
  size_t n = 0;
  for (int64_t o = scan_from_; o < max; ++o)
    if (!done_.contains(o)) ++n;
  return n;
}

std::vector<transaction_service::half_info> transaction_service::list(size_t max) const {
  std::lock_guard lk(mu_);
  std::vector<half_info> out;
  int64_t offset = std::max<int64_t>(scan_from_, 0);
  if (!discarded_.empty()) offset = std::min(offset, *discarded_.begin());
  offset = std::max(offset, store_.min_offset_in_queue(half_topic, 0));
  while (out.size() < max) {
    auto got = store_.get_message(half_topic, 0, offset, 32, 8 * 1024 * 1024, nullptr);
    if (got.status != store::get_status::found) break;
    auto recs = decode_records(got.body, false);
    if (!recs) break;
    for (auto& h : *recs) {
      bool discarded = discarded_.contains(h.queue_offset);
      if ((done_.contains(h.queue_offset) && !discarded) || out.size() >= max) continue;
      half_info i;
      i.half_offset = h.queue_offset;
      i.commit_log_offset = h.commit_log_offset;
      i.store_timestamp = h.store_timestamp;
      if (auto* t = h.property(property_real_topic)) i.topic = *t;
      if (auto* g = h.property(property_producer_group)) i.producer_group = *g;
      if (auto* u = h.property(property_uniq_client_message_id_keyidx)) i.msg_id = *u;
      i.offset_msg_id = encode_offset_msg_id(h.store_host, h.commit_log_offset);
      auto c = checks_.find(h.queue_offset);
      i.checks = c == checks_.end() ? (discarded ? opts_.check_max : 0) : c->second;
      i.discarded = discarded;
      out.push_back(std::move(i));
    }
    offset = got.next_begin_offset;
  }
  return out;
}

status transaction_service::resume_check(int64_t commit_log_offset) {
  std::lock_guard lk(mu_);
  auto rec = store_.read_record(commit_log_offset);
  auto half = rec ? decode_record(*rec, false) : result<message_ext>(status::error(errc::not_found, ""));
  if (!half || half->topic != half_topic)
    return status::error(errc::not_found, "no half message at commit-log offset " + std::to_string(commit_log_offset));
  int64_t qoff = half->queue_offset;
  if (!done_.contains(qoff)) {
    checks_[qoff] = 0;
    persist_checks();
    log()->info("half message {} (offset {}): check count reset", half->msg_id, qoff);
    return status::success();
  }
  if (!discarded_.contains(qoff))
    return status::error(errc::invalid_argument, "the transaction was already committed or rolled back");
  message_ext again = *half;
  again.store_host = store_host_;
  auto put = single_put(again, true);
  if (!put) return put.error();
  auto res = store_.put(std::move(*put));
  if (!res.ok() && res.status != store::put_status::flush_disk_timeout)
    return status::error(errc::io_error, std::string("resume: ") + store::to_string(res.status));
  discarded_.erase(qoff);
  persist_checks();
  log()->info("discarded half message {} (offset {}) stored again at half offset {}: checks start over",
              half->msg_id, qoff, res.queue_offset);
  return status::success();
}

void transaction_service::check_now() {
  std::unique_lock lk(mu_);
  int64_t offset = scan_from_;
  int64_t now = now_ms();
  bool counted = false;
  while (!stopping_) {
    auto got = store_.get_message(half_topic, 0, offset, 32, 8 * 1024 * 1024, nullptr);
    if (got.status != store::get_status::found) break;
    auto recs = decode_records(got.body, false);
    if (!recs) break;
    bool stop = false;
    for (auto& half : *recs) {
      int64_t qoff = half.queue_offset;
      if (done_.contains(qoff)) continue;
      int64_t immunity = opts_.timeout_ms;
      if (auto* s = half.property(property_check_immunity_time_in_seconds)) immunity = std::atoll(s->c_str()) * 1000;
      if (now - half.store_timestamp < immunity) {
        stop = true;  // the later ones are younger
        break;
      }
      std::string id = half.property(property_uniq_client_message_id_keyidx)
                           ? *half.property(property_uniq_client_message_id_keyidx)
                           : half.msg_id;
      int32_t& n = checks_[qoff];
      if (n >= opts_.check_max) {
        log()->warn("transaction {} unresolved after {} checks: discarded (mqadmin resumeCheckHalfMessage brings it back)",
                    id, n);
        (void)write_op(qoff);
        checks_.erase(qoff);
        discarded_.insert(qoff);
        counted = true;
        continue;
      }
      auto* group = half.property(property_producer_group);
      auto ch = group ? producer_channel_(*group) : nullptr;
      if (!ch) {
        log()->debug("transaction {}: no live producer of group {} to check", id, group ? *group : "?");
        continue;
      }
      // The body is the message as its consumers will see it: real topic and queue.
      message_ext shown = half;
      if (auto* t = shown.property(property_real_topic)) shown.topic = *t;
      if (auto* q = shown.property(property_real_queue_id)) shown.queue_id = std::atoi(q->c_str());
      auto body = encode_record(shown);
      if (!body) continue;
      auto cmd = remoting::remoting_command::request(remoting::request_code::CHECK_TRANSACTION_STATE);
      cmd.set("tranStateTableOffset", qoff);
      cmd.set("commitLogOffset", half.commit_log_offset);
      cmd.set("msgId", id);
      cmd.set("transactionId", id);
      cmd.set("offsetMsgId", encode_offset_msg_id(half.store_host, half.commit_log_offset));
      cmd.body = std::move(*body);
      ++n;
      counted = true;
      auto e = ch->invoke_oneway(std::move(cmd));
      log()->info("transaction {}: check {} sent to {} ({})", id, n, ch->remote_address(),
                  e == remoting::errc::ok ? "ok" : remoting::to_string(e));
    }
    if (stop) break;
    offset = got.next_begin_offset;
  }
  if (counted) persist_checks();
}

void transaction_service::run() {
  int64_t next = steady_ms() + std::min<int64_t>(opts_.check_interval_ms, 1000);
  std::unique_lock lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::milliseconds(100), [this] { return stopping_; });
    if (stopping_ || steady_ms() < next) continue;
    lk.unlock();
    check_now();
    next = steady_ms() + opts_.check_interval_ms;
    lk.lock();
  }
}

}  // namespace mq::broker
