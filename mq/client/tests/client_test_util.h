// Helpers for mq/client's integration tests: an in-process name server and
// broker(s) on loopback (mq/broker's test cluster), and a thread-safe
// recorder of consumed messages.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../broker/tests/broker_fixture.h"
#include "mq/client/lite_pull_consumer.h"
#include "mq/client/producer.h"
#include "mq/client/push_consumer.h"

namespace mq::client::test {

using namespace std::chrono_literals;
using broker::test::cluster;

struct received {
  std::string consumer;
  message_ext msg;
};

class recorder {
 public:
  void add(const std::string& consumer, const message_ext& m) {
    std::lock_guard lk(mu_);
    all_.push_back({consumer, m});
    cv_.notify_all();
  }
  // Waits until `pred` holds over the records or `timeout` passes.
  bool wait(const std::function<bool(const std::vector<received>&)>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return pred(all_); });
  }
  bool wait_count(size_t n, std::chrono::milliseconds timeout) {
    return wait([n](auto& v) { return v.size() >= n; }, timeout);
  }
  std::vector<received> snapshot() const {
    std::lock_guard lk(mu_);
    return all_;
  }
  size_t size() const {
    std::lock_guard lk(mu_);
    return all_.size();
  }
  // Distinct bodies seen.
  std::map<std::string, int> counts() const {
    std::lock_guard lk(mu_);
    std::map<std::string, int> out;
    for (auto& r : all_) out[r.msg.body]++;
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<received> all_;
};

// Polls `pred` every 20 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

inline message make_msg(const std::string& topic, const std::string& body, const std::string& tags = "") {
  message m;
  m.topic = topic;
  m.body = body;
  if (!tags.empty()) m.set_tags(tags);
  return m;
}

inline producer_options producer_opts(const cluster& c, const std::string& group = "pg") {
  producer_options o;
  o.namesrv_addr = c.ns_addr();
  o.group = group;
  return o;
}

inline consumer_options consumer_opts(const cluster& c, const std::string& group) {
  consumer_options o;
  o.namesrv_addr = c.ns_addr();
  o.group = group;
  o.from_where = consume_from_where::CONSUME_FROM_FIRST_OFFSET;
  o.rebalance_interval = 1s;
  o.persist_consumer_offset_interval = 500ms;
  o.consume_thread_count = 4;
  return o;
}

}  // namespace mq::client::test
