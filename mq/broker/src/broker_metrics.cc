#include "broker_metrics.h"

#include <mutex>

#include "mq/http/metrics.h"

namespace mq::broker {

namespace {
// Slots of the "in" cells: messages, bytes, then size-histogram buckets.
constexpr size_t kMsgs = 0, kBytes = 1, kSizeHist = 2;
// Slots of the rpc cells: count, sum (µs), then latency buckets.
constexpr size_t kCount = 0, kSumUs = 1, kRpcHist = 2;
// tx cells: commits, rollbacks.
constexpr size_t kCommit = 0, kRollback = 1;

std::map<std::string, std::string> with(const std::map<std::string, std::string>& base,
                                        const std::vector<std::pair<std::string, std::string>>& more) {
  auto l = base;
  for (auto& [k, v] : more) l[k] = v;
  return l;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  http::prom_family(out, name, type, help);
}

void sample(std::string& out, const std::string& name, const std::map<std::string, std::string>& labels, double v) {
  http::prom_sample(out, name, labels, {}, v);
}
}  // namespace

const char* broker_metrics::to_string(message_type t) {
  switch (t) {
    case message_type::fifo: return "FIFO";
    case message_type::transaction: return "Transaction";
    case message_type::delay: return "Delay";
    case message_type::normal: break;
  }
  return "Normal";
}

broker_metrics::cell& broker_metrics::get(family& f,
                                          std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  std::string key;
  for (auto& [k, v] : labels) {
    key.append(v);
    key.push_back('\x1f');
  }
  {
    std::shared_lock lk(f.mu);
    if (auto it = f.cells.find(key); it != f.cells.end()) return *it->second;
  }
  std::unique_lock lk(f.mu);
  auto& c = f.cells[key];
  if (!c) {
    c = std::make_unique<cell>();
    for (auto& [k, v] : labels) c->labels.emplace_back(std::string(k), std::string(v));
  }
  return *c;
}

void broker_metrics::forget(family& f, std::string_view label, const std::string& value) {
  std::unique_lock lk(f.mu);
  for (auto it = f.cells.begin(); it != f.cells.end();) {
    bool match = false;
    for (auto& [k, v] : it->second->labels) match = match || (k == label && v == value);
    it = match ? f.cells.erase(it) : std::next(it);
  }
}

void broker_metrics::on_put(const std::string& topic, message_type type, uint64_t msgs, uint64_t bytes) {
  if (msgs == 0) return;
  auto& c = get(in_, {{"topic", topic}, {"message_type", to_string(type)}});
  c.v[kMsgs].fetch_add(msgs, std::memory_order_relaxed);
  c.v[kBytes].fetch_add(bytes, std::memory_order_relaxed);
  double each = static_cast<double>(bytes) / static_cast<double>(msgs);  // a batch: its mean size
  size_t b = 0;
  while (b < kSizeBuckets.size() && each > kSizeBuckets[b]) ++b;
  c.v[kSizeHist + b].fetch_add(msgs, std::memory_order_relaxed);
}

void broker_metrics::on_send_latency(int request_code, int response_code, std::chrono::microseconds took) {
  auto& c = get(rpc_, {{"protocol_type", "remoting"},
                       {"request_code", std::to_string(request_code)},
                       {"response_code", std::to_string(response_code)}});
  double ms = static_cast<double>(took.count()) / 1000.0;
  size_t b = 0;
  while (b < kRpcBucketsMs.size() && ms > kRpcBucketsMs[b]) ++b;
  c.v[kRpcHist + b].fetch_add(1, std::memory_order_relaxed);
  c.v[kCount].fetch_add(1, std::memory_order_relaxed);
  c.v[kSumUs].fetch_add(static_cast<uint64_t>(took.count()), std::memory_order_relaxed);
}

void broker_metrics::on_get(const std::string& topic, const std::string& group, uint64_t msgs, uint64_t bytes) {
  auto& c = get(out_, {{"topic", topic}, {"consumer_group", group}});
  c.v[kMsgs].fetch_add(msgs, std::memory_order_relaxed);
  c.v[kBytes].fetch_add(bytes, std::memory_order_relaxed);
}

void broker_metrics::on_dlq(const std::string& topic, const std::string& group) {
  get(dlq_, {{"topic", topic}, {"consumer_group", group}}).v[0].fetch_add(1, std::memory_order_relaxed);
}

void broker_metrics::on_end_transaction(const std::string& topic, bool commit) {
  get(tx_, {{"topic", topic}}).v[commit ? kCommit : kRollback].fetch_add(1, std::memory_order_relaxed);
}

void broker_metrics::forget_topic(const std::string& topic) {
  for (auto* f : {&in_, &out_, &dlq_, &tx_}) forget(*f, "topic", topic);
}

void broker_metrics::forget_group(const std::string& group) {
  for (auto* f : {&out_, &dlq_}) forget(*f, "consumer_group", group);
}

std::string broker_metrics::render(const std::map<std::string, std::string>& base) const {
  std::string out;
  auto each = [](const family& f, auto&& fn) {
    std::shared_lock lk(f.mu);
    for (auto& [key, c] : f.cells) fn(*c);
  };
  auto counter = [&](const family& f, const char* name, const char* help, size_t slot) {
    header(out, name, "counter", help);
    each(f, [&](const cell& c) {
      sample(out, name, with(base, c.labels), static_cast<double>(c.v[slot].load(std::memory_order_relaxed)));
    });
  };
  counter(in_, "rocketmq_messages_in_total", "Messages stored, by topic and message type.", kMsgs);
  counter(in_, "rocketmq_throughput_in_total", "Bytes stored (whole records), by topic and message type.", kBytes);
  counter(out_, "rocketmq_messages_out_total", "Messages pulled, by topic and consumer group.", kMsgs);
  counter(out_, "rocketmq_throughput_out_total", "Bytes pulled (whole records), by topic and consumer group.", kBytes);
  counter(dlq_, "rocketmq_send_to_dlq_messages_total", "Messages moved to a dead-letter queue.", 0);
  counter(tx_, "rocketmq_commit_messages_total", "Transactional messages committed.", kCommit);
  counter(tx_, "rocketmq_rollback_messages_total", "Transactional messages rolled back.", kRollback);

  auto histogram = [&](const family& f, const char* name, const char* help, size_t first, const auto& bounds,
                       auto count_of, auto sum_of) {
    header(out, name, "histogram", help);
    std::string n = name;
    each(f, [&](const cell& c) {
      auto l = with(base, c.labels);
      uint64_t run = 0;
      for (size_t i = 0; i < bounds.size(); ++i) {
        run += c.v[first + i].load(std::memory_order_relaxed);
        auto lb = l;
        lb["le"] = http::prom_number(bounds[i]);
        sample(out, n + "_bucket", lb, static_cast<double>(run));
      }
      run += c.v[first + bounds.size()].load(std::memory_order_relaxed);
      auto lb = l;
      lb["le"] = "+Inf";
      sample(out, n + "_bucket", lb, static_cast<double>(run));
      sample(out, n + "_count", l, count_of(c, run));
      sample(out, n + "_sum", l, sum_of(c));
    });
  };
  histogram(
      in_, "rocketmq_message_size", "Sizes of stored messages in bytes (a batch counts its mean size).", kSizeHist,
      kSizeBuckets, [](const cell&, uint64_t run) { return static_cast<double>(run); },
      [](const cell& c) { return static_cast<double>(c.v[kBytes].load(std::memory_order_relaxed)); });
  histogram(
      rpc_, "rocketmq_rpc_latency", "Send requests: milliseconds from decode to answer (after the flush under SYNC_FLUSH).",
      kRpcHist, kRpcBucketsMs,
      [](const cell& c, uint64_t) { return static_cast<double>(c.v[kCount].load(std::memory_order_relaxed)); },
      [](const cell& c) { return static_cast<double>(c.v[kSumUs].load(std::memory_order_relaxed)) / 1000.0; });
  return out;
}

}  // namespace mq::broker
