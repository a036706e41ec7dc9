#include "schedule_service.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "clock.h"
#include "json_file.h"
#include "log.h"
#include "record_put.h"
#include "mq/common/message_const.h"
#include "mq/common/message_record.h"

namespace mq::broker {

std::string schedule_service::source_tag(int level, int64_t offset) {
  return std::to_string(level) + ":" + std::to_string(offset);
}

bool schedule_service::already_delivered(int level, int64_t offset) {
  auto got = store_.get_message(std::string(schedule_topic), level - 1, offset, 1, 8 * 1024 * 1024, nullptr);
  if (got.status != store::get_status::found) return false;
  auto rec = decode_record(got.body, false);
  if (!rec) return false;
  auto* uniq = rec->property(property_uniq_client_message_id_keyidx);
  auto* real_topic = rec->property(property_real_topic);
  if (!uniq || !real_topic) return false;  // no key to find the copy by: it may be delivered again
  std::string tag = source_tag(level, offset);
  for (auto& r : store_.query_by_key(*real_topic, *uniq, 64, 0, std::numeric_limits<int64_t>::max())) {
    auto copy = decode_record(r, false);
    if (!copy) continue;
    auto* src = copy->property(source_property);
    if (src && *src == tag) return true;
  }
  return false;
}

schedule_service::schedule_service(store::message_store& store, std::vector<int64_t> levels_ms, std::string path)
    : store_(store), levels_ms_(std::move(levels_ms)), path_(std::move(path)) {}

schedule_service::~schedule_service() { stop(); }

void schedule_service::start() {
  {
    std::lock_guard lk(mu_);
    if (auto j = load_json_file(path_); j && j->contains("offsetTable") && (*j)["offsetTable"].is_object()) {
      for (auto& [k, v] : (*j)["offsetTable"].items()) {
        int level = std::atoi(k.c_str());
        if (level >= 1 && level <= static_cast<int>(levels_ms_.size()) && v.is_number_integer())
          offsets_[level] = std::max<int64_t>(0, v.get<int64_t>());
      }
    }
    for (int l = 1; l <= static_cast<int>(levels_ms_.size()); ++l) offsets_.emplace(l, 0);
    // After a crash the persisted progress can be behind what was delivered:
    // skip the messages whose delivered copy is already in the store (found
    // through the index by UNIQ_KEY and tagged with its source), so a restart
    // neither loses nor repeats them.
    store_.wait_dispatched(std::chrono::seconds(30));
    for (auto& [level, offset] : offsets_) {
      int64_t from = offset;
      while (already_delivered(level, offset)) ++offset;
      if (offset != from)
        log()->info("schedule service: level {} resumes at {} (the persisted {} was behind deliveries)", level, offset,
                    from);
    }
  }
  log()->info("schedule service: {} delay levels, offsets loaded from {}", levels_ms_.size(), path_);
  thread_ = std::thread([this] { run(); });
}

void schedule_service::stop(bool persist_offsets) {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (persist_offsets) persist();
}

nlohmann::json schedule_service::offsets_json() const {
  std::lock_guard lk(mu_);
  nlohmann::json table = nlohmann::json::object();
  for (auto& [l, o] : offsets_) table[std::to_string(l)] = o;
  return {{"offsetTable", table}};
}

void schedule_service::replace_offsets(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("offsetTable") || !j["offsetTable"].is_object()) return;
  {
    std::lock_guard lk(mu_);
    for (auto& [level, off] : j["offsetTable"].items()) {
      int l = std::atoi(level.c_str());
      if (l >= 1 && l <= static_cast<int>(levels_ms_.size()) && off.is_number_integer()) offsets_[l] = off.get<int64_t>();
    }
  }
  persist();
}

void schedule_service::persist() {
  if (!persist_json_file(path_, offsets_json())) log()->error("schedule service: cannot write {}", path_);
}

void schedule_service::as_scheduled(message_ext& m, int level) const {
  level = clamp(level);
  m.put_property(std::string(property_real_topic), m.topic);
  m.put_property(std::string(property_real_queue_id), std::to_string(m.queue_id));
  m.set_delay_level(level);
  m.topic = std::string(schedule_topic);
  m.queue_id = level - 1;
}

bool schedule_service::deliver_level(int level) {
  const std::string topic(schedule_topic);
  bool any = false;
  while (true) {
    int64_t offset;
    {
      std::lock_guard lk(mu_);
      if (stopping_) return any;
      offset = offsets_[level];
    }
    auto got = store_.get_message(topic, level - 1, offset, 1, 8 * 1024 * 1024, nullptr);
    if (got.status != store::get_status::found) {
      // Nothing at this offset (yet), or the offset fell behind the queue's
      // retention: move to where the queue really starts.
      if ((got.status == store::get_status::offset_too_small ||
           got.status == store::get_status::offset_overflow_badly) &&
          got.next_begin_offset != offset) {
        std::lock_guard lk(mu_);
        offsets_[level] = got.next_begin_offset;
        continue;
      }
      return any;
    }
    auto rec = decode_record(got.body, false);
    if (!rec) {
      log()->error("schedule service: level {} offset {}: bad record ({}); skipped", level, offset, rec.error().message);
      std::lock_guard lk(mu_);
      offsets_[level] = offset + 1;
      continue;
    }
    int64_t due = rec->store_timestamp + delay_of(level);
    int64_t now = now_ms();
    if (due > now + delay_of(level)) due = now;  // a clock that jumped back: deliver now
    if (due > now) return any;
    auto* real_topic = rec->property(property_real_topic);
    auto* real_qid = rec->property(property_real_queue_id);
    if (!real_topic || !real_qid || *real_topic == rmq_sys_trans_half_topic) {
      if (!real_topic || !real_qid)
        log()->warn("schedule service: level {} offset {} (msgId {}) has no REAL_TOPIC/REAL_QID; skipped", level, offset,
                    rec->msg_id);
      std::lock_guard lk(mu_);
      offsets_[level] = offset + 1;
      continue;
    }
    message_ext m = *rec;
    m.topic = *real_topic;
    m.queue_id = std::atoi(real_qid->c_str());
    m.remove_property(property_delay_time_level);
    m.put_property(std::string(source_property), source_tag(level, offset));
    m.sys_flag = sys_flag::reset_transaction_value(m.sys_flag, sys_flag::transaction_not_type);
    auto put = single_put(m, false);
    if (!put) {
      log()->error("schedule service: cannot re-encode {}: {}; skipped", rec->msg_id, put.error().message);
      std::lock_guard lk(mu_);
      offsets_[level] = offset + 1;
      continue;
    }
    auto res = store_.put(std::move(*put));
    if (!res.ok()) {
      log()->warn("schedule service: delivering {} to {} failed ({}); retrying", rec->msg_id, m.topic,
                  store::to_string(res.status));
      return any;
    }
    delivered_.fetch_add(1);
    any = true;
    auto* uniq = rec->property(property_uniq_client_message_id_keyidx);
    log()->debug("schedule service: level {} delivered {} to {}:{}", level, uniq ? *uniq : rec->msg_id, m.topic,
                 m.queue_id);
    std::lock_guard lk(mu_);
    offsets_[level] = offset + 1;
  }
}

void schedule_service::run() {
  int64_t next_persist = steady_ms() + 10000;
  std::unique_lock lk(mu_);
  while (!stopping_) {
    lk.unlock();
    for (int l = 1; l <= static_cast<int>(levels_ms_.size()); ++l) deliver_level(l);
    if (steady_ms() >= next_persist) {
      persist();
      next_persist = steady_ms() + 10000;
    }
    lk.lock();
    cv_.wait_for(lk, std::chrono::milliseconds(100), [this] { return stopping_; });
  }
}

}  // namespace mq::broker
