#include "timer.h"

#include <memory>

#include "log.h"

namespace mq::client {

timer_thread::timer_thread(std::string name) : name_(std::move(name)), thread_([this] { run(); }) {}

timer_thread::~timer_thread() { stop(); }

bool timer_thread::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  std::lock_guard lk(mu_);
  if (stopping_) return false;
  tasks_.emplace(clock::now() + delay, std::move(fn));
  cv_.notify_one();
  return true;
}

bool timer_thread::post_every(std::chrono::milliseconds interval, std::function<bool()> fn) {
  auto shared = std::make_shared<std::function<bool()>>(std::move(fn));
  auto step = std::make_shared<std::function<void()>>();
  // The step re-posts itself; it holds only a weak reference to itself.
  std::weak_ptr<std::function<void()>> weak = step;
  *step = [this, interval, shared, weak] {
    if (!(*shared)()) return;
    if (auto s = weak.lock()) post_after(interval, [s] { (*s)(); });
  };
  return post_after(interval, [step] { (*step)(); });
}

void timer_thread::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  std::lock_guard lk(mu_);
  tasks_.clear();
}

void timer_thread::run() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      cv_.wait(lk);
      continue;
    }
    auto due = tasks_.begin()->first;
    if (clock::now() < due) {
      cv_.wait_until(lk, due);
      continue;
    }
    auto fn = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    lk.unlock();
    try {
      fn();
    } catch (const std::exception& e) {
      log()->error("timer {}: task threw: {}", name_, e.what());
    }
    lk.lock();
  }
}

}  // namespace mq::client
