// Delayed (scheduled) messages (rocketmq-protocol.md §6.6, Java
// ScheduleMessageService). A message with DELAY = L > 0 is stored in
// SCHEDULE_TOPIC_XXXX queue L-1 with its real topic and queue in REAL_TOPIC /
// REAL_QID (the send path rewrites it: as_scheduled()); the store's consume
// queue keeps its deliver time as tagsCode. This service walks each level's
// queue in order and, when a message is due, writes a copy to its real topic
// and queue (DELAY removed), then moves that level's offset on.
//
// Progress per level is persisted to <store root>/config/delayOffset.json
// ({"offsetTable":{1:12,2:0}}, fastjson style; written every 10 s and at
// stop). Each delivered copy carries SCHEDULE_SOURCE = "<level>:<offset>";
// at start, the messages after the persisted progress whose copy is already
// in the store (found by UNIQ_KEY through the index) are skipped, so a
// restart after a crash neither loses nor repeats deliveries. (A message
// without UNIQ_KEY cannot be found that way and may be delivered again.) A
// failed put is retried, never skipped.
//
// Thread-safety: one thread of its own; offsets_json() may be called from any
// thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mq/common/message.h"
#include "mq/store/message_store.h"

namespace mq::broker {

class schedule_service {
 public:
  // `levels_ms[i]` is the delay of level i+1.
  schedule_service(store::message_store& store, std::vector<int64_t> levels_ms, std::string offsets_path);
  ~schedule_service();  // stop()

  // Loads delayOffset.json (a damaged file falls back to .bak, then to 0s).
  void start();
  // Joins the thread; `persist` = false leaves the file as it was (a crash, in tests).
  void stop(bool persist = true);
  void persist();
  // The delayOffset.json content (GET_ALL_DELAY_OFFSET).
  nlohmann::json offsets_json() const;
  // A slave takes its master's table (GET_ALL_DELAY_OFFSET) and persists it.
  void replace_offsets(const nlohmann::json& j);

  size_t levels() const { return levels_ms_.size(); }
  int64_t delay_of(int level) const { return levels_ms_[static_cast<size_t>(level - 1)]; }
  // Clamps `level` (> 0) to the highest level.
  int clamp(int level) const { return std::min<int>(level, static_cast<int>(levels_ms_.size())); }

  // Rewrites `m` (topic, queue, properties) into the schedule queue of
  // `level` (> 0, clamped): REAL_TOPIC, REAL_QID and DELAY set.
  void as_scheduled(message_ext& m, int level) const;

  uint64_t delivered() const { return delivered_.load(); }

  // The property naming a delivered copy's schedule-queue source.
  static constexpr std::string_view source_property = "SCHEDULE_SOURCE";

 private:
  void run();
  // Delivers the due messages of one level; returns true if any was delivered.
  bool deliver_level(int level);
  static std::string source_tag(int level, int64_t offset);
  // A copy of the message at (level, offset) is already in the store.
  bool already_delivered(int level, int64_t offset);

  store::message_store& store_;
  const std::vector<int64_t> levels_ms_;
  const std::string path_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, int64_t> offsets_;  // GUARDED_BY(mu_) level -> next schedule-queue offset
  bool stopping_ = false;           // GUARDED_BY(mu_)
  std::thread thread_;
  std::atomic<uint64_t> delivered_{0};
};

}  // namespace mq::broker
