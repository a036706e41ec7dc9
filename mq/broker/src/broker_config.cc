#include "mq/broker/broker_config.h"

#include <unistd.h>

#include <cstdlib>
#include <set>

#include "mq/common/message_id.h"

namespace mq::broker {

const char* to_string(broker_role r) {
  switch (r) {
    case broker_role::async_master: return "ASYNC_MASTER";
    case broker_role::sync_master: return "SYNC_MASTER";
    case broker_role::slave: return "SLAVE";
  }
  return "?";
}

namespace {

// Typed reads that remember the first error.
struct reader {
  const properties_map& p;
  status err;

  int32_t i32(const std::string& k, int32_t fallback) {
    auto v = get_int(p, k, fallback);
    if (!v) {
      if (err.ok()) err = v.error();
      return fallback;
    }
    return *v;
  }
  int64_t i64(const std::string& k, int64_t fallback) {
    auto v = get_int64(p, k, fallback);
    if (!v) {
      if (err.ok()) err = v.error();
      return fallback;
    }
    return *v;
  }
  // The first of several spellings that is present.
  int64_t i64_any(std::initializer_list<const char*> keys, int64_t fallback) {
    for (const char* k : keys) {
      if (p.count(k)) return i64(k, fallback);
    }
    return fallback;
  }
  bool b(const std::string& k, bool fallback) { return get_bool(p, k, fallback); }
  bool b_any(std::initializer_list<const char*> keys, bool fallback) {
    for (const char* k : keys) {
      if (p.count(k)) return b(k, fallback);
    }
    return fallback;
  }
  std::string s(const std::string& k, const std::string& fallback) { return get_string(p, k, fallback); }
  void fail(std::string m) {
    if (err.ok()) err = status::error(errc::invalid_argument, std::move(m));
  }
};

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

result<broker_config> broker_config_from(const properties_map& props) {
  broker_config c;
  reader r{props, {}};
  c.broker_cluster_name = r.s("brokerClusterName", c.broker_cluster_name);
  c.broker_name = r.s("brokerName", host_name());
  c.broker_id = r.i64("brokerId", 0);
  c.namesrv_addr = r.s("namesrvAddr", "");
  if (c.namesrv_addr.empty()) {
    if (const char* env = std::getenv("NAMESRV_ADDR")) c.namesrv_addr = env;
  }
  std::string local = unique_id_generator::local_address().to_string();
  local = local.substr(0, local.rfind(':'));
  c.broker_ip1 = r.s("brokerIP1", local);
  c.broker_ip2 = r.s("brokerIP2", c.broker_ip1);
  c.listen_address = r.s("listenAddress", c.listen_address);
  int32_t port = r.i32("listenPort", 10911);
  if (r.err.ok() && (port <= 2 || port > 65534)) r.fail("listenPort: must be 3..65534");
  c.listen_port = static_cast<uint16_t>(port);
  c.fast_listen_port_enable = r.b("fastListenPortEnable", c.fast_listen_port_enable);
  std::string role = r.s("brokerRole", "ASYNC_MASTER");
  if (role == "ASYNC_MASTER") c.role = broker_role::async_master;
  else if (role == "SYNC_MASTER") c.role = broker_role::sync_master;
  else if (role == "SLAVE") c.role = broker_role::slave;
  else r.fail("brokerRole: '" + role + "' is not ASYNC_MASTER, SYNC_MASTER or SLAVE");
  if (c.role == broker_role::slave && c.broker_id == 0) r.fail("brokerId: a SLAVE needs brokerId > 0");
  if (c.role != broker_role::slave) c.broker_id = 0;  // Java: a master is always id 0
  c.broker_permission = r.i32("brokerPermission", c.broker_permission);
  c.default_topic_queue_nums = r.i32("defaultTopicQueueNums", c.default_topic_queue_nums);
  if (r.err.ok() && (c.default_topic_queue_nums <= 0 || c.default_topic_queue_nums > 1024)) {
    r.fail("defaultTopicQueueNums: must be 1..1024");
  }
  c.auto_create_topic_enable = r.b("autoCreateTopicEnable", c.auto_create_topic_enable);
  c.auto_create_subscription_group = r.b("autoCreateSubscriptionGroup", c.auto_create_subscription_group);
  c.cluster_topic_enable = r.b("clusterTopicEnable", c.cluster_topic_enable);
  c.broker_topic_enable = r.b("brokerTopicEnable", c.broker_topic_enable);
  c.long_polling_enable = r.b("longPollingEnable", c.long_polling_enable);
  c.short_polling_time_mills = r.i64("shortPollingTimeMills", c.short_polling_time_mills);
  c.notify_consumer_ids_changed_enable = r.b("notifyConsumerIdsChangedEnable", c.notify_consumer_ids_changed_enable);
  c.flush_consumer_offset_interval = r.i64("flushConsumerOffsetInterval", c.flush_consumer_offset_interval);
  c.region_id = r.s("regionId", c.region_id);
  c.trace_on = r.b("traceOn", c.trace_on);
  c.reject_transaction_message = r.b("rejectTransactionMessage", c.reject_transaction_message);
  c.enable_property_filter = r.b("enablePropertyFilter", c.enable_property_filter);
  c.transaction_timeout = r.i64("transactionTimeOut", c.transaction_timeout);
  c.transaction_check_max = r.i32("transactionCheckMax", c.transaction_check_max);
  c.transaction_check_interval = r.i64("transactionCheckInterval", c.transaction_check_interval);
  if (r.err.ok() && (c.transaction_timeout < 0 || c.transaction_check_max < 1 || c.transaction_check_interval < 100)) {
    r.fail("transactionTimeOut must be >= 0, transactionCheckMax >= 1, transactionCheckInterval >= 100");
  }
  c.register_name_server_period = r.i64("registerNameServerPeriod", c.register_name_server_period);
  c.register_broker_timeout_mills = r.i64("registerBrokerTimeoutMills", c.register_broker_timeout_mills);
  c.channel_expired_timeout = r.i64("channelExpiredTimeout", c.channel_expired_timeout);
  c.client_scan_interval = r.i64("clientChannelScanInterval", c.client_scan_interval);
  c.rebalance_lock_max_live_time = r.i64("rebalanceLockMaxLiveTime", c.rebalance_lock_max_live_time);
  c.send_message_thread_pool_nums = r.i32("sendMessageThreadPoolNums", 0);
  c.send_message_in_io_thread = r.b("sendMessageInIoThread", c.send_message_in_io_thread);
  c.pull_message_thread_pool_nums = r.i32("pullMessageThreadPoolNums", c.pull_message_thread_pool_nums);
  c.admin_broker_thread_pool_nums = r.i32("adminBrokerThreadPoolNums", c.admin_broker_thread_pool_nums);
  c.server_worker_threads = r.i32("serverSelectorThreads", c.server_worker_threads);
  c.default_query_max_num = r.i32("defaultQueryMaxNum", c.default_query_max_num);
  c.access_message_in_memory_max_ratio =
      r.i32("accessMessageInMemoryMaxRatio", c.access_message_in_memory_max_ratio);

  // Store.
  auto& s = c.store;
  const char* home = std::getenv("HOME");
  std::string root = r.s("storePathRootDir", "");
  if (root.empty()) {
    if (!home) r.fail("storePathRootDir: not set and $HOME is unset");
    root = std::string(home ? home : ".") + "/store";
  }
  s.store_path_root_dir = root;
  s.store_path_commit_log = r.s("storePathCommitLog", "");
  s.mapped_file_size_commit_log =
      r.i64_any({"mappedFileSizeCommitLog", "mapedFileSizeCommitLog"}, s.mapped_file_size_commit_log);
  s.mapped_file_size_consume_queue =
      r.i64_any({"mappedFileSizeConsumeQueue", "mapedFileSizeConsumeQueue"}, s.mapped_file_size_consume_queue);
  std::string flush = r.s("flushDiskType", "ASYNC_FLUSH");
  if (flush == "ASYNC_FLUSH") s.flush_disk = store::flush_disk_type::async_flush;
  else if (flush == "SYNC_FLUSH") s.flush_disk = store::flush_disk_type::sync_flush;
  else r.fail("flushDiskType: '" + flush + "' is not ASYNC_FLUSH or SYNC_FLUSH");
  s.flush_interval_commit_log = std::chrono::milliseconds(r.i64("flushIntervalCommitLog", 500));
  s.flush_commit_log_least_pages = r.i32("flushCommitLogLeastPages", s.flush_commit_log_least_pages);
  s.flush_interval_consume_queue = std::chrono::milliseconds(r.i64("flushIntervalConsumeQueue", 1000));
  s.sync_flush_timeout = std::chrono::milliseconds(r.i64("syncFlushTimeout", 5000));
  c.max_message_size = r.i32("maxMessageSize", c.max_message_size);
  if (r.err.ok() && c.max_message_size <= 0) r.fail("maxMessageSize: must be positive");
  s.max_message_size = c.max_message_size;
  s.check_crc_on_recover = r.b("checkCRCOnRecover", s.check_crc_on_recover);
  s.warm_mapped_file_enable = r.b_any({"warmMappedFileEnable", "warmMapedFileEnable"}, s.warm_mapped_file_enable);
  s.max_hash_slot_num = r.i32("maxHashSlotNum", s.max_hash_slot_num);
  s.max_index_num = r.i32("maxIndexNum", s.max_index_num);
  s.max_msgs_num_batch = r.i32("maxMsgsNumBatch", s.max_msgs_num_batch);
  s.file_reserved_time_hours = r.i32("fileReservedTime", s.file_reserved_time_hours);
  s.delete_when = r.s("deleteWhen", s.delete_when);
  s.disk_max_used_space_ratio = r.i32("diskMaxUsedSpaceRatio", s.disk_max_used_space_ratio);
  s.message_delay_level = r.s("messageDelayLevel", s.message_delay_level);
  std::vector<int64_t> levels;
  if (r.err.ok() && !store::parse_delay_levels(s.message_delay_level, levels)) {
    r.fail("messageDelayLevel: '" + s.message_delay_level + "' is malformed");
  }
  int32_t ha_port = r.i32("haListenPort", c.listen_port + 1);
  if (r.err.ok() && (ha_port < 0 || ha_port > 65535)) r.fail("haListenPort: must be 0..65535 (0: serve no slaves)");
  c.ha_listen_port = static_cast<uint16_t>(ha_port);
  c.slave_read_enable = r.b("slaveReadEnable", c.slave_read_enable);
  c.slave_sync_interval = r.i64("slaveSyncInterval", c.slave_sync_interval);
  std::string exporter = r.s("metricsExporterType", "DISABLE");
  if (exporter == "PROM") c.metrics_prom_enable = true;
  else if (exporter != "DISABLE")
    r.fail("metricsExporterType: '" + exporter + "' is not supported (PROM or DISABLE; OTLP_GRPC and LOG are not)");
  c.metrics_prom_host = r.s("metricsPromExporterHost", c.listen_address);
  int32_t mport = r.i32("metricsPromExporterPort", c.metrics_prom_port);
  if (r.err.ok() && (mport < 0 || mport > 65535)) r.fail("metricsPromExporterPort: must be 0..65535 (0: any free port)");
  c.metrics_prom_port = static_cast<uint16_t>(mport);
  s.role = c.role == broker_role::slave         ? store::store_role::slave
           : c.role == broker_role::sync_master ? store::store_role::sync_master
                                                : store::store_role::async_master;
  s.ha_listen_port = c.role == broker_role::slave ? 0 : c.ha_listen_port;
  s.ha_listen_host = c.listen_address;
  s.ha_master_address = r.s("haMasterAddress", "");
  s.ha_slave_fallbehind_max = r.i64_any({"haSlaveFallbehindMax", "haMaxGapNotInSync"}, s.ha_slave_fallbehind_max);
  s.ha_transfer_batch_size = r.i32("haTransferBatchSize", s.ha_transfer_batch_size);
  if (r.err.ok() && (s.ha_transfer_batch_size < 1024 || s.ha_transfer_batch_size > 4 * 1024 * 1024)) {
    r.fail("haTransferBatchSize: must be 1 KiB..4 MiB");
  }
  s.slave_timeout = std::chrono::milliseconds(r.i64("slaveTimeout", s.slave_timeout.count()));
  s.ha_send_heartbeat_interval =
      std::chrono::milliseconds(r.i64("haSendHeartbeatInterval", s.ha_send_heartbeat_interval.count()));
  s.ha_housekeeping_interval =
      std::chrono::milliseconds(r.i64("haHousekeepingInterval", s.ha_housekeeping_interval.count()));
  if (r.err.ok() && (s.slave_timeout.count() <= 0 || s.ha_send_heartbeat_interval.count() <= 0 ||
                     s.ha_housekeeping_interval <= s.ha_send_heartbeat_interval)) {
    r.fail("slaveTimeout and haSendHeartbeatInterval must be positive, haHousekeepingInterval above the heartbeat");
  }
  if (r.err.ok() && (s.mapped_file_size_commit_log < 64 * 1024 || s.mapped_file_size_consume_queue < 20)) {
    r.fail("mappedFileSizeCommitLog / mappedFileSizeConsumeQueue: too small");
  }
  if (!r.err.ok()) return r.err;

  if (c.send_message_thread_pool_nums <= 0) {
    c.send_message_thread_pool_nums = 4;
  }
  c.all = props;
  c.all["brokerClusterName"] = c.broker_cluster_name;
  c.all["brokerName"] = c.broker_name;
  c.all["brokerId"] = std::to_string(c.broker_id);
  c.all["brokerIP1"] = c.broker_ip1;
  c.all["listenPort"] = std::to_string(c.listen_port);
  c.all["haListenPort"] = std::to_string(c.ha_listen_port);
  c.all["slaveReadEnable"] = c.slave_read_enable ? "true" : "false";
  c.all["brokerRole"] = to_string(c.role);
  c.all["flushDiskType"] = flush;
  c.all["storePathRootDir"] = root;
  c.all["namesrvAddr"] = c.namesrv_addr;
  c.all["autoCreateTopicEnable"] = c.auto_create_topic_enable ? "true" : "false";
  c.all["autoCreateSubscriptionGroup"] = c.auto_create_subscription_group ? "true" : "false";
  c.all["defaultTopicQueueNums"] = std::to_string(c.default_topic_queue_nums);
  c.all["brokerPermission"] = std::to_string(c.broker_permission);
  c.all["maxMessageSize"] = std::to_string(c.max_message_size);
  c.all["mappedFileSizeCommitLog"] = std::to_string(s.mapped_file_size_commit_log);
  c.all["mappedFileSizeConsumeQueue"] = std::to_string(s.mapped_file_size_consume_queue);
  c.all["messageDelayLevel"] = s.message_delay_level;
  c.all["fileReservedTime"] = std::to_string(s.file_reserved_time_hours);
  c.all["deleteWhen"] = s.delete_when;
  c.all["longPollingEnable"] = c.long_polling_enable ? "true" : "false";
  c.all["registerNameServerPeriod"] = std::to_string(c.register_name_server_period);
  return c;
}

bool is_runtime_changeable(const std::string& key) {
  static const std::set<std::string> keys{
      "brokerPermission",      "autoCreateTopicEnable",         "autoCreateSubscriptionGroup",
      "defaultTopicQueueNums", "notifyConsumerIdsChangedEnable", "longPollingEnable",
      "shortPollingTimeMills", "traceOn",                        "rejectTransactionMessage",
  };
  return keys.count(key) != 0;
}

}  // namespace mq::broker
