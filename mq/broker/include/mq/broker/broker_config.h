// The broker's configuration: RocketMQ's BrokerConfig / NettyServerConfig /
// MessageStoreConfig keys (rocketmq-protocol.md §6.10, architecture.md), read
// from broker.conf and the command line (mq/common/config.h), with the Java
// defaults. Both spellings of the store keys are accepted
// (mapedFileSizeCommitLog and mappedFileSizeCommitLog, ...).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "mq/common/config.h"
#include "mq/common/result.h"
#include "mq/store/store_config.h"

namespace mq::broker {

enum class broker_role { async_master, sync_master, slave };
const char* to_string(broker_role r);  // ASYNC_MASTER, SYNC_MASTER, SLAVE

struct broker_config {
  std::string broker_cluster_name = "DefaultCluster";
  std::string broker_name;          // default: the host name
  int64_t broker_id = 0;            // 0 = master
  std::string namesrv_addr;         // "host:port;host:port"
  std::string broker_ip1;           // default: first non-loopback IPv4
  std::string broker_ip2;           // HA address (default broker_ip1)
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port = 10911;
  bool fast_listen_port_enable = true;  // also serve listenPort - 2 (old VIP channel)
  broker_role role = broker_role::async_master;
  int32_t broker_permission = 6;
  int32_t default_topic_queue_nums = 8;
  bool auto_create_topic_enable = true;
  bool auto_create_subscription_group = true;
  bool cluster_topic_enable = true;
  bool broker_topic_enable = true;
  bool long_polling_enable = true;
  int64_t short_polling_time_mills = 1000;
  bool notify_consumer_ids_changed_enable = true;
  int64_t flush_consumer_offset_interval = 5000;
  std::string region_id = "DefaultRegion";
  bool trace_on = true;
  bool reject_transaction_message = false;
  bool enable_property_filter = true;           // enablePropertyFilter: SQL92 subscriptions (Java's default is false)
  int64_t transaction_timeout = 6000;          // transactionTimeOut: a half message this old is checked
  int32_t transaction_check_max = 15;          // transactionCheckMax: then it is discarded
  int64_t transaction_check_interval = 60000;  // transactionCheckInterval
  int64_t register_name_server_period = 30000;  // clamped to 10..60 s as Java does
  int64_t register_broker_timeout_mills = 6000;
  int64_t channel_expired_timeout = 120000;     // client channels without heartbeat
  int64_t client_scan_interval = 10000;
  int64_t rebalance_lock_max_live_time = 60000;
  int32_t send_message_thread_pool_nums = 0;    // 0 = pick by flush type
  // Ours, not Java's: run SEND processing on the io thread that read the
  // request (the store append is short and the flush wait is a callback).
  bool send_message_in_io_thread = true;
  int32_t pull_message_thread_pool_nums = 16;
  int32_t admin_broker_thread_pool_nums = 8;
  int32_t server_worker_threads = 2;            // io threads
  int32_t max_message_size = 4 * 1024 * 1024;
  int32_t default_query_max_num = 32;
  int32_t access_message_in_memory_max_ratio = 40;
  // HA: the master serves slaves on ha_listen_port (haListenPort, default
  // listenPort + 1); a slave syncs topics, offsets, delay offsets and
  // subscription groups from its master every 10 s and serves pulls only
  // with slaveReadEnable.
  uint16_t ha_listen_port = 0;
  bool slave_read_enable = false;
  int64_t slave_sync_interval = 10000;
  // Prometheus /metrics (RocketMQ 5.x's keys): metricsExporterType=PROM
  // serves it on metricsPromExporterHost:metricsPromExporterPort (default
  // listenAddress:5557); DISABLE (the default) serves nothing.
  bool metrics_prom_enable = false;
  std::string metrics_prom_host;
  uint16_t metrics_prom_port = 5557;
  store::message_store_config store;
  // Every key=value the broker was started with plus the defaults, as
  // GET_BROKER_CONFIG prints them.
  properties_map all;

  std::string broker_addr() const { return broker_ip1 + ":" + std::to_string(listen_port); }
  std::string ha_server_addr() const { return broker_ip2 + ":" + std::to_string(ha_listen_port); }
};

// Builds the configuration from the merged properties (file < -n < key=value).
// Errors (invalid_argument) name the key: a malformed number, an unknown
// flushDiskType / brokerRole, a port out of range, a missing storePathRootDir
// fallback when $HOME is unset.
result<broker_config> broker_config_from(const properties_map& props);

// The keys UPDATE_BROKER_CONFIG may change at run time.
bool is_runtime_changeable(const std::string& key);

}  // namespace mq::broker
