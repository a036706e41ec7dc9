// The broker's Prometheus endpoint (metricsExporterType=PROM): the traffic
// counters of broker_metrics plus gauges read at scrape time. Names follow
// RocketMQ 5.x where it has one (rocketmq_consumer_lag_messages,
// rocketmq_consumer_lag_latency, rocketmq_half_messages,
// rocketmq_storage_*, rocketmq_topic_number, ...); the rest follow
// Prometheus conventions under the same prefix. Format: docs/format/metrics.md.
#include <sys/statvfs.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "broker_impl.h"
#include "log.h"
#include "mq/common/message_const.h"
#include "mq/common/message_record.h"
#include "mq/http/metrics.h"

namespace mq::broker {

namespace {
void header(std::string& out, const char* name, const char* type, const char* help) {
  http::prom_family(out, name, type, help);
}
using http::prom_sample;
}  // namespace

bool broker_controller::impl::start_metrics(std::string* error) {
  if (!cfg.metrics_prom_enable) return true;
  metrics_http = http::start_metrics_server("mqbroker", cfg.metrics_prom_host, cfg.metrics_prom_port,
                                            [this] { return metrics_text(); }, error);
  if (!metrics_http) return false;
  log()->info("serving Prometheus metrics on http://{}:{}/metrics", cfg.metrics_prom_host, metrics_http->port());
  return true;
}

std::string broker_controller::impl::metrics_text() {
  const std::map<std::string, std::string> base{
      {"cluster", cfg.broker_cluster_name}, {"node_type", "broker"}, {"node_id", cfg.broker_name}};
  std::string out = metrics.render(base);
  auto all_topics = topics->all();
  int64_t now = now_ms();

  // ---- consumer lag: per queue, per (group, topic), and its age. A queue
  // the group never committed has no known lag: no series.
  auto table = offsets->all_json();
  struct lag_sum {
    int64_t messages = 0;
    int64_t oldest_ms = 0;  // store time of the oldest unconsumed message, 0 = none
  };
  std::map<std::pair<std::string, std::string>, lag_sum> lag;  // (group, topic)
  std::string per_queue;
  header(per_queue, "rocketmq_consumer_queue_lag_messages", "gauge",
         "Messages stored but not yet committed by the group, per queue.");
  if (table.contains("offsetTable") && table["offsetTable"].is_object()) {
    for (auto& [key, queues] : table["offsetTable"].items()) {
      auto at = key.find('@');
      if (at == std::string::npos || !queues.is_object()) continue;
      std::string topic = key.substr(0, at), group = key.substr(at + 1);
      if (!all_topics.count(topic) || !groups->find(group, false)) continue;  // deleted
      auto& sum = lag[{group, topic}];
      for (auto& [qid_text, off] : queues.items()) {
        if (!off.is_number_integer() || off.get<int64_t>() < 0) continue;
        int32_t qid = std::atoi(qid_text.c_str());
        int64_t committed = off.get<int64_t>();
        int64_t max = store->max_offset_in_queue(topic, qid);
        int64_t behind = std::max<int64_t>(0, max - committed);
        sum.messages += behind;
        if (behind > 0) {
          int64_t t = store->store_time_at(topic, qid, std::max(committed, store->min_offset_in_queue(topic, qid)));
          if (t > 0 && (sum.oldest_ms == 0 || t < sum.oldest_ms)) sum.oldest_ms = t;
        }
        prom_sample(per_queue, "rocketmq_consumer_queue_lag_messages",
               {{"topic", topic}, {"consumer_group", group}, {"queue_id", qid_text}}, base, static_cast<double>(behind));
      }
    }
  }
  header(out, "rocketmq_consumer_lag_messages", "gauge", "Messages stored but not yet committed by the group.");
  for (auto& [k, s] : lag)
    prom_sample(out, "rocketmq_consumer_lag_messages", {{"consumer_group", k.first}, {"topic", k.second}}, base,
           static_cast<double>(s.messages));
  header(out, "rocketmq_consumer_lag_latency", "gauge",
         "Milliseconds since the oldest message the group has not committed was stored (0: none).");
  for (auto& [k, s] : lag)
    prom_sample(out, "rocketmq_consumer_lag_latency", {{"consumer_group", k.first}, {"topic", k.second}}, base,
           s.oldest_ms > 0 ? static_cast<double>(std::max<int64_t>(0, now - s.oldest_ms)) : 0.0);
  header(out, "rocketmq_consumer_group_lag_messages", "gauge", "The group's lag over all the topics it commits.");
  std::map<std::string, int64_t> by_group;
  for (auto& [k, s] : lag) by_group[k.first] += s.messages;
  for (auto& [g, n] : by_group)
    prom_sample(out, "rocketmq_consumer_group_lag_messages", {{"consumer_group", g}}, base, static_cast<double>(n));
  out += per_queue;

  // ---- queues, DLQs, delayed and half messages
  header(out, "rocketmq_consume_queue_max_offset", "gauge", "Next offset of each consume queue (messages ever stored).");
  std::map<std::string, int64_t> dlq;
  for (auto& [name, tc] : all_topics) {
    for (int32_t q = 0; q < tc.read_queue_nums || q < tc.write_queue_nums; ++q) {
      int64_t max = store->max_offset_in_queue(name, q);
      prom_sample(out, "rocketmq_consume_queue_max_offset", {{"topic", name}, {"queue_id", std::to_string(q)}}, base,
             static_cast<double>(max));
      if (name.starts_with(mq::dlq_group_topic_prefix))
        dlq[name.substr(mq::dlq_group_topic_prefix.size())] += max - store->min_offset_in_queue(name, q);
    }
  }
  header(out, "rocketmq_dlq_messages", "gauge", "Dead letters kept in %DLQ%<group>.");
  for (auto& [g, n] : dlq) prom_sample(out, "rocketmq_dlq_messages", {{"consumer_group", g}}, base, static_cast<double>(n));

  header(out, "rocketmq_delay_messages", "gauge", "Delayed messages not yet delivered, per delay level.");
  if (schedule) {
    auto offs = schedule->offsets_json();
    for (int level = 1; level <= static_cast<int>(schedule->levels()); ++level) {
      std::string l = std::to_string(level);
      int64_t delivered = offs["offsetTable"].value(l, int64_t{0});
      int64_t max = store->max_offset_in_queue(std::string(mq::schedule_topic), level - 1);
      prom_sample(out, "rocketmq_delay_messages", {{"delay_level", l}}, base,
             static_cast<double>(std::max<int64_t>(0, max - delivered)));
    }
  }
  header(out, "rocketmq_half_messages", "gauge", "Transactional half messages awaiting commit or rollback.");
  prom_sample(out, "rocketmq_half_messages", {}, base, transactions ? static_cast<double>(transactions->pending()) : 0.0);

  // ---- clients and long polling
  header(out, "rocketmq_producer_connections", "gauge", "Producer clients connected, per producer group.");
  for (auto& [g, n] : producers.connection_counts())
    prom_sample(out, "rocketmq_producer_connections", {{"producer_group", g}}, base, static_cast<double>(n));
  header(out, "rocketmq_consumer_connections", "gauge", "Consumer clients connected, per consumer group.");
  for (auto& [g, n] : consumers.connection_counts())
    prom_sample(out, "rocketmq_consumer_connections", {{"consumer_group", g}}, base, static_cast<double>(n));
  header(out, "rocketmq_pull_requests_held", "gauge", "Pull requests parked by long polling.");
  prom_sample(out, "rocketmq_pull_requests_held", {}, base, hold ? static_cast<double>(hold->held_count()) : 0.0);
  header(out, "rocketmq_topic_number", "gauge", "Topics on this broker.");
  prom_sample(out, "rocketmq_topic_number", {}, base, static_cast<double>(all_topics.size()));

  // ---- storage
  auto st = store->stats();
  header(out, "rocketmq_storage_commitlog_size_bytes", "gauge", "Bytes of commit log kept (max offset - min offset).");
  prom_sample(out, "rocketmq_storage_commitlog_size_bytes", {}, base,
         static_cast<double>(st.commit_log_max_offset - st.commit_log_min_offset));
  header(out, "rocketmq_storage_dispatch_behind_bytes", "gauge", "Commit-log bytes not yet dispatched to queues.");
  prom_sample(out, "rocketmq_storage_dispatch_behind_bytes", {}, base, static_cast<double>(st.dispatch_behind_bytes));
  header(out, "rocketmq_storage_flush_behind_bytes", "gauge", "Commit-log bytes written but not yet flushed.");
  prom_sample(out, "rocketmq_storage_flush_behind_bytes", {}, base, static_cast<double>(st.flush_behind_bytes));
  header(out, "rocketmq_storage_message_reserve_time", "gauge",
         "Milliseconds since the oldest message kept was stored.");
  if (auto rec = st.commit_log_max_offset > st.commit_log_min_offset ? store->read_record(st.commit_log_min_offset)
                                                                      : std::nullopt) {
    if (auto m = decode_record(*rec, false); m && m->store_timestamp > 0)
      prom_sample(out, "rocketmq_storage_message_reserve_time", {}, base,
             static_cast<double>(std::max<int64_t>(0, now - m->store_timestamp)));
  }
  struct statvfs vfs{};
  if (::statvfs(cfg.store.store_path_root_dir.c_str(), &vfs) == 0 && vfs.f_blocks > 0) {
    header(out, "rocketmq_storage_disk_used_ratio", "gauge", "Used fraction of the store's file system.");
    prom_sample(out, "rocketmq_storage_disk_used_ratio", {}, base,
           1.0 - static_cast<double>(vfs.f_bavail) / static_cast<double>(vfs.f_blocks));
  }
  header(out, "rocketmq_storage_flush_latency_seconds", "histogram", "Commit-log flushes (fdatasync included).");
  const auto& fl = st.flush_latency;
  for (size_t i = 0; i < store::commit_log::kFlushBuckets.size(); ++i)
    prom_sample(out, "rocketmq_storage_flush_latency_seconds_bucket",
           {{"le", http::prom_number(store::commit_log::kFlushBuckets[i])}}, base, static_cast<double>(fl.le[i]));
  prom_sample(out, "rocketmq_storage_flush_latency_seconds_bucket", {{"le", "+Inf"}}, base, static_cast<double>(fl.count));
  prom_sample(out, "rocketmq_storage_flush_latency_seconds_count", {}, base, static_cast<double>(fl.count));
  prom_sample(out, "rocketmq_storage_flush_latency_seconds_sum", {}, base, fl.sum_seconds);
  return out;
}

}  // namespace mq::broker
