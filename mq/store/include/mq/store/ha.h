// HA replication between a master's and a slave's commit logs, on RocketMQ
// 4.x's HA channel (S/ha/HAService.java, HAConnection.java; wire format in
// rocketmq-protocol.md §6.8 and docs/format/ha.md):
//
//   slave -> master: int64 BE = the slave's commit-log max offset (its ack),
//                    on connect, after every appended chunk, every 5 s;
//   master -> slave: int64 BE offset | int32 BE size | size raw bytes,
//                    at most haTransferBatchSize, never across a file end;
//                    size 0 = heartbeat.
//
// The slave appends the bytes as they are (commit_log::append_raw), so its
// commit log is a byte-for-byte prefix of the master's; its reput builds its
// own consume queues and index from them.
//
// Plain blocking sockets, two threads per slave connection on the master
// (reader of acks, writer of data) and one on the slave: a broker has one or
// two slaves, not thousands.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mq/store/commit_log.h"
#include "mq/store/message_store.h"
#include "mq/store/store_config.h"

namespace mq::store {

enum class replication_status { ok, timeout, not_available };


class ha_master {
 public:
  ha_master(commit_log& log, const message_store_config& cfg);
  ~ha_master();

  bool start(std::string* error);
  void stop();
  uint16_t port() const { return port_; }

  // New data in the commit log (wakes the writers).
  void notify_append();

  // SYNC_MASTER: `done` runs once with ok when a slave has acknowledged
  // `end`, timeout after slave_timeout, or not_available at once when no
  // slave is connected or the best one lags more than
  // ha_slave_fallbehind_max. Runs on an HA thread (or the caller's).
  void wait_replicated(int64_t end, std::function<void(replication_status)> done);

  ha_runtime runtime();

 private:
  struct connection;
  void accept_loop();
  void read_loop(const std::shared_ptr<connection>& c);
  void write_loop(const std::shared_ptr<connection>& c);
  void on_ack(int64_t offset);
  void expire_loop();
  void reap();

  commit_log& log_;
  const message_store_config cfg_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_, expire_thread_;

  std::mutex conns_mu_;
  std::list<std::shared_ptr<connection>> conns_;

  std::mutex data_mu_;  // new data for the writers
  std::condition_variable data_cv_;
  std::atomic<int> writers_waiting_{0};

  std::mutex wait_mu_;  // SYNC_MASTER waiters by end offset
  std::condition_variable wait_cv_;
  struct waiter {
    std::chrono::steady_clock::time_point deadline;
    std::function<void(replication_status)> done;
  };
  std::multimap<int64_t, waiter> waiters_;
  std::atomic<int64_t> acked_{-1};
};

class ha_slave {
 public:
  // `on_append` runs after every appended chunk (wakes the reput);
  // `truncate` cuts the slave's store back to a master's end (it is ahead).
  ha_slave(commit_log& log, const message_store_config& cfg, std::function<void()> on_append,
           std::function<bool(int64_t)> truncate);
  ~ha_slave();

  void start();
  void stop();
  // The master's HA address (host:port); an empty one stops following.
  void set_master(const std::string& address);
  ha_runtime runtime();

 private:
  void run();
  bool follow(const std::string& address);  // one connection; false on error

  commit_log& log_;
  const message_store_config cfg_;
  std::function<void()> on_append_;
  std::function<bool(int64_t)> truncate_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string master_;
  std::atomic<bool> connected_{false};
  std::atomic<int> fd_{-1};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mq::store
