#include "mq/remoting/executor.h"

#include <exception>

#include "log.h"

namespace mq::remoting {

bounded_executor::bounded_executor(std::string name, size_t threads, size_t queue_capacity)
    : name_(std::move(name)), capacity_(queue_capacity == 0 ? 1 : queue_capacity) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

bounded_executor::~bounded_executor() { shutdown(); }

bool bounded_executor::try_submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= capacity_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void bounded_executor::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

size_t bounded_executor::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void bounded_executor::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (const std::exception& e) {
      log()->error("executor {}: task threw: {}", name_, e.what());
    } catch (...) {
      log()->error("executor {}: task threw a non-exception", name_);
    }
  }
}

}  // namespace mq::remoting
