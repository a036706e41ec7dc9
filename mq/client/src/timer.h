// A single-thread timer: runs tasks after a delay, or every interval, in
// due-time order. Tasks run one at a time on the timer's thread; a slow task
// delays the others (so owners keep quick work here and slow work elsewhere).
// Thread-safety: all members may be called from any thread, including tasks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace mq::client {

class timer_thread {
 public:
  using clock = std::chrono::steady_clock;
  explicit timer_thread(std::string name);
  ~timer_thread();  // stop()

  // False after stop().
  bool post_after(std::chrono::milliseconds delay, std::function<void()> fn);
  // First run after `interval`; `fn` returns false to stop repeating.
  bool post_every(std::chrono::milliseconds interval, std::function<bool()> fn);
  // Drops pending tasks, waits for a running one, joins. Idempotent; must not
  // be called from a task.
  void stop();

 private:
  void run();
  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<clock::time_point, std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                                          // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace mq::client
