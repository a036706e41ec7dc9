// Flushing the commit log (rocketmq-protocol.md §5.1, §6.9).
//
// group_commit_service (SYNC_FLUSH): producers call wait_flushed(end) after
// their append; one flusher thread runs fdatasync as long as somebody waits
// above the flushed watermark, and each fdatasync releases every waiter at or
// below the offset it made durable (leveldb DBImpl::Write style). While one
// fdatasync is in progress new waiters queue up and share the next one.
//
// async_flush_service (ASYNC_FLUSH): every `interval` flush when at least
// `least_pages` dirty pages exist; everything at least every `thorough`.
//
// A failed fdatasync is sticky: failed() turns true and stays true; the store
// stops accepting writes until restart and recovery.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>
#include <mutex>
#include <thread>

namespace mq::store {

// What the flush services drive (the commit log).
class flushable {
 public:
  virtual ~flushable() = default;
  // Flush at least `least_pages` dirty pages (0 = all). False on I/O error.
  virtual bool flush(int least_pages) = 0;
  virtual int64_t flushed_where() const = 0;
};

class group_commit_service {
 public:
  explicit group_commit_service(flushable& log);
  ~group_commit_service();  // stop()

  void start();
  // Flush what is left and join.
  void stop();
  // Join without the final flush (crash simulation in tests).
  void halt();

  enum class wait_status { flushed, timeout, io_error };
  // Block until the flushed offset reaches `offset`, or the timeout.
  wait_status wait_flushed(int64_t offset, std::chrono::milliseconds timeout);
  // Non-blocking form of wait_flushed: `done` runs once, with the outcome,
  // on the notifier thread (or at once on the caller's thread when the
  // offset is already flushed or the service failed/stopped). Keep it short.
  void wait_flushed_async(int64_t offset, std::chrono::milliseconds timeout,
                          std::function<void(wait_status)> done);
  // Non-blocking: make sure a flush up to `offset` will happen.
  void request(int64_t offset);

  bool failed() const { return failed_.load(); }
  int64_t flushed() const { return flushed_.load(); }
  // Statistics: fdatasync rounds and the waiters they released.
  uint64_t syncs() const { return syncs_.load(); }
  uint64_t released() const { return released_.load(); }

 private:
  void run();

  // One waiting producer. Each has its own condition variable so a finished
  // fdatasync wakes exactly the producers it satisfied (no thundering herd
  // of 64 writers on 2 cores). Shared so the notifier can signal it after
  // the producer's wait returned.
  struct waiter {
    explicit waiter(int64_t o) : offset(o) {}
    int64_t offset;
    bool done = false;  // GUARDED_BY(mu_)
    std::condition_variable cv;
    // Async waiters: called instead of signalling cv; deadline for timeouts.
    std::function<void(wait_status)> callback;
    std::chrono::steady_clock::time_point deadline{};
  };
  // Mark every waiter at or below flushed_ (all on failure/stop) done and
  // hand them to the notifier thread, so the flusher can start the next
  // fdatasync while the wake-ups (an IPI each on this VM) run beside it.
  void release_waiters(bool all);  // REQUIRES(mu_)
  void notify_loop();

  flushable& log_;
  std::mutex mu_;
  std::condition_variable work_cv_;          // flusher waits for requests
  std::multimap<int64_t, std::shared_ptr<waiter>> waiters_;  // GUARDED_BY(mu_), by offset
  std::vector<std::shared_ptr<waiter>> to_notify_;           // GUARDED_BY(mu_)
  size_t async_waiters_ = 0;                                 // GUARDED_BY(mu_) callbacks in waiters_
  std::condition_variable notify_cv_;
  bool notify_stop_ = false;  // GUARDED_BY(mu_)
  std::thread notify_thread_;
  int64_t requested_ = 0;                    // GUARDED_BY(mu_)
  bool stop_ = false;                // GUARDED_BY(mu_)
  bool final_flush_ = true;          // GUARDED_BY(mu_)
  std::atomic<int64_t> flushed_{0};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> released_{0};
  std::thread thread_;
};

class async_flush_service {
 public:
  async_flush_service(flushable& log, std::chrono::milliseconds interval, int least_pages,
                      std::chrono::milliseconds thorough);
  ~async_flush_service();
  void start();
  void stop();  // final full flush, join
  void halt();  // join without the final flush (tests)
  void wakeup();
  bool failed() const { return failed_.load(); }

 private:
  void run();

  flushable& log_;
  const std::chrono::milliseconds interval_;
  const int least_pages_;
  const std::chrono::milliseconds thorough_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool final_flush_ = true;
  bool woken_ = false;
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

}  // namespace mq::store
