#include "mq/store/flush_service.h"

#include "log.h"

namespace mq::store {

namespace {
// Below this many waiters the flusher waits up to 0.2 ms for more.
constexpr size_t kMinGroup = 16;
}  // namespace

group_commit_service::group_commit_service(flushable& log) : log_(log) {
  flushed_.store(log_.flushed_where());
}

group_commit_service::~group_commit_service() { stop(); }

void group_commit_service::start() {
  notify_thread_ = std::thread([this] { notify_loop(); });
  thread_ = std::thread([this] { run(); });
}

void group_commit_service::notify_loop() {
  std::vector<std::shared_ptr<waiter>> batch;
  std::vector<std::shared_ptr<waiter>> expired;
  std::unique_lock lock(mu_);
  for (;;) {
    // Async waiters time out here: look every 50 ms while any exist.
    if (async_waiters_ > 0) {
      notify_cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return notify_stop_ || !to_notify_.empty(); });
    } else {
      notify_cv_.wait(lock, [&] { return notify_stop_ || !to_notify_.empty() || async_waiters_ > 0; });
    }
    if (to_notify_.empty() && notify_stop_) break;
    if (async_waiters_ > 0) {
      auto now = std::chrono::steady_clock::now();
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->second->callback && it->second->deadline <= now) {
          it->second->done = true;
          expired.push_back(std::move(it->second));
          --async_waiters_;
          it = waiters_.erase(it);
        } else {
          ++it;
        }
      }
    }
    batch.swap(to_notify_);
    bool failed = failed_.load();
    int64_t flushed = flushed_.load();
    lock.unlock();
    // `done` was set under mu_; signalling without it is fine, and the
    // shared_ptr keeps each condition variable alive.
    for (auto& w : batch) {
      if (!w->callback) {
        w->cv.notify_one();
        continue;
      }
      auto st = failed ? wait_status::io_error : flushed >= w->offset ? wait_status::flushed : wait_status::timeout;
      if (st == wait_status::flushed) released_.fetch_add(1, std::memory_order_relaxed);
      w->callback(st);
    }
    for (auto& w : expired) w->callback(wait_status::timeout);
    batch.clear();
    expired.clear();
    lock.lock();
  }
}

void group_commit_service::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(mu_);
    notify_stop_ = true;
  }
  notify_cv_.notify_all();
  if (notify_thread_.joinable()) notify_thread_.join();
}

void group_commit_service::halt() {
  {
    std::lock_guard lock(mu_);
    final_flush_ = false;
  }
  stop();
}

void group_commit_service::request(int64_t offset) {
  {
    std::lock_guard lock(mu_);
    if (offset > requested_) requested_ = offset;
  }
  work_cv_.notify_one();
}

group_commit_service::wait_status group_commit_service::wait_flushed(int64_t offset,
                                                                     std::chrono::milliseconds timeout) {
  if (failed_.load()) return wait_status::io_error;
  if (flushed_.load() >= offset) return wait_status::flushed;
  auto w = std::make_shared<waiter>(offset);
  std::unique_lock lock(mu_);
  if (flushed_.load() < offset && !stop_) {
    if (offset > requested_) requested_ = offset;
    auto it = waiters_.emplace(offset, w);
    if (waiters_.size() == 1 || waiters_.size() >= kMinGroup) work_cv_.notify_one();
    if (!w->cv.wait_for(lock, timeout, [&] { return w->done; })) waiters_.erase(it);
  }
  if (failed_.load()) return wait_status::io_error;
  if (flushed_.load() >= offset) {
    released_.fetch_add(1, std::memory_order_relaxed);
    return wait_status::flushed;
  }
  return wait_status::timeout;
}

void group_commit_service::release_waiters(bool all) {
  int64_t f = flushed_.load();
  auto end = all ? waiters_.end() : waiters_.upper_bound(f);
  bool any = false;
  for (auto it = waiters_.begin(); it != end; it = waiters_.erase(it)) {
    it->second->done = true;
    if (it->second->callback) --async_waiters_;
    to_notify_.push_back(std::move(it->second));
    any = true;
  }
  if (any) notify_cv_.notify_one();
}

void group_commit_service::wait_flushed_async(int64_t offset, std::chrono::milliseconds timeout,
                                              std::function<void(wait_status)> done) {
  if (failed_.load()) return done(wait_status::io_error);
  if (flushed_.load() >= offset) {
    released_.fetch_add(1, std::memory_order_relaxed);
    return done(wait_status::flushed);
  }
  auto w = std::make_shared<waiter>(offset);
  w->callback = std::move(done);
  w->deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      if (offset > requested_) requested_ = offset;
      waiters_.emplace(offset, w);
      if (++async_waiters_ == 1) notify_cv_.notify_one();  // start the timeout scan
      if (waiters_.size() == 1 || waiters_.size() >= kMinGroup) work_cv_.notify_one();
      return;
    }
  }
  // Stopping: the final flush has run or will not; report what is true now.
  w->callback(flushed_.load() >= offset ? wait_status::flushed : wait_status::timeout);
}

void group_commit_service::run() {
  std::unique_lock lock(mu_);
  size_t last_group = 0;  // waiters the previous fdatasync released
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || requested_ > flushed_.load(); });
    if (stop_) break;
    // A thin group while others are writing too: give producers that are
    // about to append a moment to join this fdatasync (bounded: <= 0.2 ms).
    // A lone producer (the last round released at most one) flushes at once.
    if (waiters_.size() < kMinGroup && last_group > 1) {
      work_cv_.wait_for(lock, std::chrono::microseconds(200), [&] { return stop_ || waiters_.size() >= kMinGroup; });
      if (stop_) break;
    }
    lock.unlock();
    // One pass: mapped_file_queue::flush walks across a roll by itself.
    bool ok = log_.flush(0);
    syncs_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    if (!ok) {
      failed_.store(true);
      log()->critical("commit log flush failed: the store refuses writes until restart");
      release_waiters(true);
      // Nothing will ever flush again; wait for stop.
      work_cv_.wait(lock, [&] { return stop_; });
      break;
    }
    flushed_.store(log_.flushed_where());
    size_t before = waiters_.size();
    release_waiters(false);
    last_group = before - waiters_.size();
  }
  bool final_flush = final_flush_;
  if (final_flush && !failed_.load()) {
    lock.unlock();
    bool ok = log_.flush(0);
    lock.lock();
    if (ok) flushed_.store(log_.flushed_where());
  }
  release_waiters(true);  // whoever is left sees flushed or timeout status
}

async_flush_service::async_flush_service(flushable& log, std::chrono::milliseconds interval,
                                         int least_pages, std::chrono::milliseconds thorough)
    : log_(log), interval_(interval), least_pages_(least_pages), thorough_(thorough) {}

async_flush_service::~async_flush_service() { stop(); }

void async_flush_service::start() { thread_ = std::thread([this] { run(); }); }

void async_flush_service::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void async_flush_service::halt() {
  {
    std::lock_guard lock(mu_);
    final_flush_ = false;
  }
  stop();
}

void async_flush_service::wakeup() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void async_flush_service::run() {
  auto last_thorough = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval_, [&] { return stop_ || woken_; });
    woken_ = false;
    if (stop_) break;
    lock.unlock();
    int pages = least_pages_;
    auto now = std::chrono::steady_clock::now();
    if (now - last_thorough >= thorough_) {
      pages = 0;
      last_thorough = now;
    }
    if (!failed_.load() && !log_.flush(pages)) {
      failed_.store(true);
      log()->critical("commit log flush failed: the store refuses writes until restart");
    }
    lock.lock();
  }
  bool final_flush = final_flush_;
  lock.unlock();
  if (final_flush && !failed_.load() && !log_.flush(0)) failed_.store(true);
}

}  // namespace mq::store
