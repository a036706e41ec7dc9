// The broker's traffic counters for /metrics (Prometheus text), named as
// RocketMQ 5.x's broker metrics are (BrokerMetricsConstant; labels cluster,
// node_type, node_id = brokerName, topic, message_type, consumer_group) so
// existing dashboards and alert rules keep working:
//
//   rocketmq_messages_in_total / rocketmq_throughput_in_total   {topic, message_type}
//   rocketmq_messages_out_total / rocketmq_throughput_out_total {topic, consumer_group}
//   rocketmq_message_size (histogram, bytes)                    {topic, message_type}
//   rocketmq_send_to_dlq_messages_total                         {topic, consumer_group}
//   rocketmq_commit_messages_total / rocketmq_rollback_messages_total {topic}
//   rocketmq_rpc_latency (histogram, ms; sends only)            {protocol_type, request_code, response_code}
//
// Gauges (lag, storage, connections, ...) are read at scrape time by the
// broker (metrics_http.cc). A deleted topic or group drops its series.
//
// Thread-safety: all members may be called from any thread; the hot path
// (on_put, on_get) takes a shared lock and bumps atomics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mq::broker {

class broker_metrics {
 public:
  enum class message_type { normal, fifo, transaction, delay };
  static const char* to_string(message_type t);  // Normal, FIFO, Transaction, Delay (RocketMQ's values)

  // A stored send of `msgs` messages, `bytes` in all.
  void on_put(const std::string& topic, message_type type, uint64_t msgs, uint64_t bytes);
  // A send request answered: its code, the response code, the time from
  // decode to answer.
  void on_send_latency(int request_code, int response_code, std::chrono::microseconds took);
  void on_get(const std::string& topic, const std::string& group, uint64_t msgs, uint64_t bytes);
  // `topic` is the message's original topic.
  void on_dlq(const std::string& topic, const std::string& group);
  void on_end_transaction(const std::string& topic, bool commit);

  void forget_topic(const std::string& topic);
  void forget_group(const std::string& group);

  // The counter families; `base` labels (cluster, node_type, node_id) go on
  // every series.
  std::string render(const std::map<std::string, std::string>& base) const;

  static constexpr std::array<double, 6> kSizeBuckets = {1024, 4096, 524288, 1048576, 2097152, 4194304};
  static constexpr std::array<double, 7> kRpcBucketsMs = {1, 3, 5, 10, 100, 1000, 3000};

 private:
  // One labelled series: up to 12 counters (the histogram families use
  // the first slots for cumulative-on-read buckets).
  struct cell {
    std::vector<std::pair<std::string, std::string>> labels;
    std::array<std::atomic<uint64_t>, 12> v{};
  };
  struct family {
    mutable std::shared_mutex mu;
    std::map<std::string, std::unique_ptr<cell>> cells;  // key: label values joined by \x1f
  };
  static cell& get(family& f, std::initializer_list<std::pair<std::string_view, std::string_view>> labels);
  static void forget(family& f, std::string_view label, const std::string& value);

  family in_, out_, dlq_, tx_, rpc_;
};

}  // namespace mq::broker
