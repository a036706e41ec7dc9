// broker_controller's insides, shared by the processor files
// (send_processor.cc, pull_processor.cc, client_processor.cc,
// admin_processor.cc) and broker_controller.cc (lifecycle, registration,
// periodic tasks). Not a public header.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker_metrics.h"
#include "client_manager.h"
#include "clock.h"
#include "consumer_offset_manager.h"
#include "mq/broker/broker_controller.h"
#include "mq/common/message.h"
#include "mq/http/server.h"
#include "mq/remoting/channel.h"
#include "mq/remoting/client.h"
#include "mq/remoting/executor.h"
#include "mq/remoting/header_reader.h"
#include "mq/remoting/server.h"
#include "mq/store/message_store.h"
#include "pull_hold_service.h"
#include "schedule_service.h"
#include "sql_filter.h"
#include "transaction_service.h"
#include "subscription_group_manager.h"
#include "topic_config_manager.h"

namespace mq::broker {

using remoting::channel_ptr;
using remoting::remoting_command;
using response = std::optional<remoting_command>;


inline remoting_command reply(const remoting_command& r, int32_t code,
                              std::optional<std::string> remark = std::nullopt) {
  return remoting_command::response_to(r, code, std::move(remark));
}

using remoting::header_reader;

// The values UPDATE_BROKER_CONFIG may change while running.
struct runtime_config {
  std::atomic<int32_t> broker_permission{6};
  std::atomic<bool> auto_create_topic_enable{true};
  std::atomic<bool> auto_create_subscription_group{true};
  std::atomic<int32_t> default_topic_queue_nums{8};
  std::atomic<bool> notify_consumer_ids_changed_enable{true};
  std::atomic<bool> long_polling_enable{true};
  std::atomic<int64_t> short_polling_time_mills{1000};
  std::atomic<bool> trace_on{true};
  std::atomic<bool> reject_transaction_message{false};
};

struct broker_stats {
  std::atomic<uint64_t> put_msgs{0};
  std::atomic<uint64_t> put_bytes{0};
  std::atomic<uint64_t> get_msgs{0};
  std::atomic<uint64_t> get_bytes{0};
  std::atomic<uint64_t> send_failures{0};
  // Per-second rates, sampled by the scheduler.
  std::atomic<double> put_tps{0};
  std::atomic<double> get_tps{0};
  uint64_t last_put = 0, last_get = 0;  // scheduler thread only
};

struct broker_controller::impl {
  explicit impl(broker_config c);

  // ---- lifecycle (broker_controller.cc)
  bool start(std::string* error);
  void stop(bool graceful);
  void register_processors();
  void register_broker_all(bool sync);
  void unregister_broker_all();
  void request_register() {
    std::lock_guard lock(sched_mu_);
    register_pending_ = true;
    sched_cv_.notify_all();
  }
  void scheduler_loop();
  void notify_consumer_ids_changed(const std::string& group);
  void on_channel_closed(const channel_ptr& ch);

  // ---- processors
  response process_send(const channel_ptr& ch, remoting_command& r);           // send_processor.cc
  response process_pull(const channel_ptr& ch, remoting_command& r, bool allow_suspend);  // pull_processor.cc
  void rerun_pull(held_pull&& p);
  response process_heartbeat(const channel_ptr& ch, remoting_command& r);      // client_processor.cc
  response process_unregister_client(const channel_ptr& ch, remoting_command& r);
  response process_consumer_list(const channel_ptr& ch, remoting_command& r);
  response process_query_consumer_offset(const channel_ptr& ch, remoting_command& r);
  response process_update_consumer_offset(const channel_ptr& ch, remoting_command& r);
  response process_lock_batch(const channel_ptr& ch, remoting_command& r);
  response process_unlock_batch(const channel_ptr& ch, remoting_command& r);
  response process_check_client_config(const channel_ptr& ch, remoting_command& r);
  response process_send_back(const channel_ptr& ch, remoting_command& r);       // send_processor.cc
  response process_end_transaction(const channel_ptr& ch, remoting_command& r);
  // Appends one message (encoding it) and answers `r` on `ch` when stored:
  // SUCCESS, or SYSTEM_ERROR with the store's status name.
  void put_and_reply(const channel_ptr& ch, const remoting_command& r, message_ext m, bool wait);
  void register_admin_processors();                                            // admin_processor.cc

  // ---- helpers
  // The topic's config, creating %RETRY% topics (and DLQs) on demand.
  topic_config retry_topic_for(const std::string& group, const subscription_group_config& sg);
  bool writeable() const { return perm::writeable(rt.broker_permission.load()); }
  bool readable() const { return perm::readable(rt.broker_permission.load()); }
  std::string broker_perm_text() const;
  // A compiled SQL92 subscription (cached by text); errors name the position.
  result<std::shared_ptr<const sql_filter>> sql_for(const std::string& expression);
  std::mutex sql_mu_;
  std::map<std::string, std::shared_ptr<const sql_filter>> sql_cache_;  // GUARDED_BY(sql_mu_)

  broker_config cfg;
  runtime_config rt;
  broker_stats stats;
  broker_metrics metrics;                     // /metrics counters (broker_metrics.h)
  std::unique_ptr<http::server> metrics_http; // metricsExporterType=PROM
  bool start_metrics(std::string* error);     // metrics_http.cc
  std::string metrics_text();                 // the scrape-time gauges
  socket_address store_host;
  int64_t boot_ms = 0;

  std::unique_ptr<store::message_store> store;
  std::unique_ptr<topic_config_manager> topics;
  std::unique_ptr<subscription_group_manager> groups;
  std::unique_ptr<consumer_offset_manager> offsets;
  consumer_manager consumers;
  producer_manager producers;
  std::unique_ptr<rebalance_lock_manager> locks;
  std::unique_ptr<pull_hold_service> hold;
  std::unique_ptr<schedule_service> schedule;
  std::unique_ptr<transaction_service> transactions;

  std::unique_ptr<remoting::remoting_server> server;
  std::unique_ptr<remoting::remoting_server> fast_server;  // listenPort - 2
  std::unique_ptr<remoting::remoting_client> ns_client;
  std::vector<std::string> namesrv_addrs;
  std::shared_ptr<remoting::bounded_executor> send_pool, pull_pool, client_pool, admin_pool;

  std::mutex sched_mu_;
  std::condition_variable sched_cv_;
  bool sched_stopping_ = false;   // GUARDED_BY(sched_mu_)
  bool register_pending_ = false; // GUARDED_BY(sched_mu_)
  std::thread scheduler_;
  std::mutex register_mu_;        // one registration round at a time
  // A slave's master (remoting address, from REGISTER_BROKER's answer) and
  // the sync of its metadata from there.
  std::mutex master_mu_;
  std::string master_addr_;       // GUARDED_BY(master_mu_)
  void sync_from_master();
  void learn_master(const std::string& master_addr, const std::string& ha_addr);
  std::mutex config_mu_;          // guards cfg.all (GET/UPDATE_BROKER_CONFIG)
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace mq::broker
