// A bounded thread pool for request processors (architecture.md, "Concurrency
// model"): a fixed number of threads and a fixed-capacity queue. try_submit()
// never blocks and never queues without bound: a full pool returns false and
// the server answers SYSTEM_BUSY.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mq::remoting {

class bounded_executor {
 public:
  bounded_executor(std::string name, size_t threads, size_t queue_capacity);
  ~bounded_executor();  // shutdown()

  bounded_executor(const bounded_executor&) = delete;
  bounded_executor& operator=(const bounded_executor&) = delete;

  // Queue a task; false when the queue holds `queue_capacity` tasks already or
  // the pool is shutting down. Tasks must not throw (an escaping exception is
  // logged and swallowed).
  bool try_submit(std::function<void()> task);

  // Stop accepting, run what is queued, join the threads. Idempotent.
  void shutdown();

  size_t queued() const;
  const std::string& name() const { return name_; }

 private:
  void run();

  const std::string name_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

}  // namespace mq::remoting
