// Options of the message store, with RocketMQ's names and defaults
// (S/config/MessageStoreConfig.java; rocketmq-protocol.md §6.10). The broker
// fills this from broker.conf keys of the same names.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mq::store {

enum class flush_disk_type { async_flush, sync_flush };

// brokerRole as the store sees it (S/config/BrokerRole.java).
enum class store_role { async_master, sync_master, slave };

struct message_store_config {
  std::string store_path_root_dir;           // storePathRootDir (required)
  std::string store_path_commit_log;         // storePathCommitLog; default <root>/commitlog
  int64_t mapped_file_size_commit_log = 1024LL * 1024 * 1024;   // 1 GiB
  int64_t mapped_file_size_consume_queue = 300000LL * 20;       // 6,000,000 B
  flush_disk_type flush_disk = flush_disk_type::async_flush;
  std::chrono::milliseconds flush_interval_commit_log{500};     // flushIntervalCommitLog
  int flush_commit_log_least_pages = 4;                          // flushCommitLogLeastPages
  std::chrono::milliseconds flush_commit_log_thorough_interval{10000};
  std::chrono::milliseconds flush_interval_consume_queue{1000};
  int flush_consume_queue_least_pages = 2;
  std::chrono::milliseconds sync_flush_timeout{5000};           // syncFlushTimeout
  int32_t max_message_size = 4 * 1024 * 1024;                    // maxMessageSize (body)
  bool check_crc_on_recover = true;                              // checkCRCOnRecover
  bool warm_mapped_file_enable = false;                          // warmMapedFileEnable
  bool preallocate_commit_log = true;   // create the next commit-log file ahead of need
  int max_hash_slot_num = 5000000;
  int max_index_num = 5000000 * 4;
  int max_msgs_num_batch = 64;
  // Retention.
  int file_reserved_time_hours = 72;                             // fileReservedTime
  std::string delete_when = "04";                                // deleteWhen: hours, ';'-separated
  int disk_max_used_space_ratio = 75;                            // diskMaxUsedSpaceRatio (%)
  int disk_critical_ratio = 95;   // refuse writes above this share of the disk (diskSpaceCleanForciblyRatio-like)
  std::chrono::milliseconds clean_resource_interval{10000};
  int delete_commit_log_files_interval_ms = 100;
  // messageDelayLevel (for SCHEDULE_TOPIC_XXXX tagsCode = deliver time).
  std::string message_delay_level = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
  // HA replication (rocketmq-protocol.md §6.8, §6.9; docs/format/ha.md).
  store_role role = store_role::async_master;
  int ha_listen_port = 0;            // haListenPort; a master serves slaves here (0 = no HA server)
  std::string ha_listen_host = "0.0.0.0";
  std::string ha_master_address;     // haMasterAddress (host:port) for a slave; else learned from the name server
  int64_t ha_slave_fallbehind_max = 256LL * 1024 * 1024;        // haSlaveFallbehindMax
  std::chrono::milliseconds slave_timeout{3000};                 // SYNC_MASTER wait for the slave's ack
  int ha_transfer_batch_size = 32 * 1024;                        // haTransferBatchSize
  std::chrono::milliseconds ha_send_heartbeat_interval{5000};    // haSendHeartbeatInterval
  std::chrono::milliseconds ha_housekeeping_interval{20000};     // haHousekeepingInterval
  std::chrono::milliseconds ha_reconnect_interval{5000};         // the slave's retry after a lost connection

  std::string commit_log_dir() const {
    return store_path_commit_log.empty() ? store_path_root_dir + "/commitlog" : store_path_commit_log;
  }
  std::string consume_queue_dir() const { return store_path_root_dir + "/consumequeue"; }
  std::string index_dir() const { return store_path_root_dir + "/index"; }
  std::string checkpoint_path() const { return store_path_root_dir + "/checkpoint"; }
  std::string abort_path() const { return store_path_root_dir + "/abort"; }
  std::string lock_path() const { return store_path_root_dir + "/lock"; }
};

// Parse messageDelayLevel ("1s 5s 1m 2h 1d") into milliseconds per level
// (index 0 = level 1). Returns false on a malformed entry.
bool parse_delay_levels(const std::string& text, std::vector<int64_t>& out_ms);

}  // namespace mq::store
