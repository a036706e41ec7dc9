#include "pull_hold_service.h"

#include <chrono>

#include "clock.h"
#include "log.h"

namespace mq::broker {

pull_hold_service::pull_hold_service(rerun_fn rerun, max_offset_fn max_offset,
                                     std::chrono::milliseconds check_interval)
    : rerun_(std::move(rerun)), max_offset_(std::move(max_offset)), check_interval_(check_interval) {}

pull_hold_service::~pull_hold_service() { stop(); }

std::string pull_hold_service::key_of(const std::string& topic, int32_t queue_id) {
  return topic + "@" + std::to_string(queue_id);
}

void pull_hold_service::start() {
  checker_ = std::thread([this] { check_loop(); });
}

void pull_hold_service::stop() {
  std::map<std::string, std::vector<held_pull>> all;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    all.swap(held_);
    count_ = 0;
  }
  cv_.notify_all();
  if (checker_.joinable()) checker_.join();
  for (auto& [k, v] : all) {
    for (auto& p : v) rerun_(std::move(p));
  }
}

void pull_hold_service::hold(const std::string& topic, int32_t queue_id, held_pull p) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      held_[key_of(topic, queue_id)].push_back(std::move(p));
      count_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  rerun_(std::move(p));  // stopping: answer at once
}

void pull_hold_service::notify_arrival(const std::string& topic, int32_t queue_id, int64_t queue_offset,
                                       int64_t tags_code) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  wake_if(key_of(topic, queue_id), [&](const held_pull& p) {
    return queue_offset + 1 > p.offset && (!p.filter || p.filter->matches_tags_code(tags_code));
  });
}

void pull_hold_service::wake_if(const std::string& key, const std::function<bool(const held_pull&)>& pred) {
  std::vector<held_pull> wake;
  {
    std::lock_guard lock(mu_);
    auto it = held_.find(key);
    if (it == held_.end()) return;
    auto& v = it->second;
    for (size_t i = 0; i < v.size();) {
      if (pred(v[i])) {
        wake.push_back(std::move(v[i]));
        v[i] = std::move(v.back());
        v.pop_back();
      } else {
        ++i;
      }
    }
    if (v.empty()) held_.erase(it);
    count_.fetch_sub(wake.size(), std::memory_order_relaxed);
  }
  for (auto& p : wake) rerun_(std::move(p));
}

void pull_hold_service::check_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, check_interval_, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    check_all();
    lock.lock();
  }
}

void pull_hold_service::check_all() {
  // Keys first, then each key's max offset outside the lock (it reads the store).
  std::vector<std::pair<std::string, int32_t>> keys;
  {
    std::lock_guard lock(mu_);
    for (auto& [k, v] : held_) {
      auto at = k.rfind('@');
      keys.emplace_back(k.substr(0, at), std::stoi(k.substr(at + 1)));
    }
  }
  for (auto& [topic, q] : keys) {
    int64_t max = max_offset_(topic, q);
    int64_t now = steady_ms();
    wake_if(key_of(topic, q), [&](const held_pull& p) { return max > p.offset || now >= p.deadline_ms; });
  }
}

}  // namespace mq::broker
