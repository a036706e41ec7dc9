// Long polling (B/longpolling/PullRequestHoldService.java, rocketmq-protocol.md
// §6.3 step 9): pull requests that found nothing are parked per
// topic@queueId and re-run as soon as a matching message is dispatched, when
// a periodic check sees the queue grow, or when their suspend time runs out.
// Parked requests hold no thread.
//
// Thread-safety: every member is thread-safe. notify_arrival is called on
// the store's reput thread and must stay cheap.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client_manager.h"
#include "mq/remoting/channel.h"

namespace mq::broker {

struct held_pull {
  remoting::channel_ptr ch;
  remoting::remoting_command request;
  int64_t offset = 0;         // the queue offset the pull asked for
  int64_t deadline_ms = 0;    // steady-clock ms
  std::optional<subscription_data> filter;  // tag filter; none = all
};

class pull_hold_service {
 public:
  // `rerun` re-runs a parked request (without permission to park again) and
  // sends its response; `max_offset` reads a queue's current max offset.
  using rerun_fn = std::function<void(held_pull&&)>;
  using max_offset_fn = std::function<int64_t(const std::string& topic, int32_t queue_id)>;

  pull_hold_service(rerun_fn rerun, max_offset_fn max_offset, std::chrono::milliseconds check_interval);
  ~pull_hold_service();  // stop()

  void start();
  // Re-runs every parked request (each answers normally) and joins the checker.
  void stop();

  void hold(const std::string& topic, int32_t queue_id, held_pull p);
  // A message was dispatched at `queue_offset` (the queue max is now +1).
  void notify_arrival(const std::string& topic, int32_t queue_id, int64_t queue_offset, int64_t tags_code);
  size_t held_count() const { return count_.load(std::memory_order_relaxed); }

 private:
  static std::string key_of(const std::string& topic, int32_t queue_id);
  // Re-run (outside the lock) the requests parked under `key` that `pred` picks.
  void wake_if(const std::string& key, const std::function<bool(const held_pull&)>& pred);
  void check_loop();
  void check_all();

  rerun_fn rerun_;
  max_offset_fn max_offset_;
  const std::chrono::milliseconds check_interval_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<held_pull>> held_;  // GUARDED_BY(mu_)
  std::atomic<size_t> count_{0};
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread checker_;
};

}  // namespace mq::broker
