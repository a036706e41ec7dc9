// MessageStore: the store facade the broker uses (RocketMQ's
// DefaultMessageStore). It owns the commit log, consume queues, index,
// checkpoint, flush services, the reput dispatcher and retention.
//
//   auto s = message_store::open(cfg, &err);   // locks, recovers, starts threads
//   s->put(req);                               // append (+ wait for flush under SYNC_FLUSH)
//   s->get_message(...);                       // pull by topic/queue/offset
//   s->shutdown();                             // flush, checkpoint, remove abort
//
// Durability contract: under SYNC_FLUSH a put that returns put_ok (with
// wait_store_msg_ok) has been fdatasync'ed; a crash at any moment keeps it.
// Under ASYNC_FLUSH data reaches disk within flush_interval (no promise).
// Recovery never serves a record that fails its checks; torn tails are cut.
//
// Thread-safety: every public member is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mq/store/commit_log.h"
#include "mq/store/store_config.h"

namespace mq::store {

enum class put_status {
  put_ok,
  flush_disk_timeout,
  flush_slave_timeout,    // (HA, not yet)
  slave_not_available,    // (HA, not yet)
  service_not_available,  // shut down, disk full, or a sticky I/O error
  create_mapped_file_failed,
  message_illegal,
  properties_size_exceeded,
  os_pagecache_busy,
  unknown_error,
};
const char* to_string(put_status s);

struct put_request {
  // Encoded records (mq::common::encode_record), all for topic/queue_id with
  // sys_flag; QUEUEOFFSET, PHYSICALOFFSET and STORETIMESTAMP are filled in.
  std::vector<std::string> records;
  std::string topic;
  int32_t queue_id = 0;
  int32_t sys_flag = 0;
  bool wait_store_msg_ok = true;  // the WAIT property
};

struct put_result {
  put_status status = put_status::unknown_error;
  int64_t wrote_offset = 0;    // commit-log offset of the first record
  int64_t queue_offset = 0;    // queue offset of the first record
  int64_t store_timestamp = 0;
  int32_t msg_num = 0;
  std::vector<int64_t> offsets;
  std::string error;
  bool ok() const { return status == put_status::put_ok; }
};

enum class get_status {
  found,
  no_matched_message,
  message_was_removing,
  offset_found_null,
  offset_overflow_badly,
  offset_overflow_one,
  offset_too_small,
  no_matched_logic_queue,
  no_message_in_queue,
};
const char* to_string(get_status s);  // RocketMQ's names, e.g. "FOUND"

struct get_result {
  get_status status = get_status::no_matched_logic_queue;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int32_t msg_count = 0;
  std::string body;  // the matched records, concatenated exactly as stored
  std::vector<int64_t> queue_offsets;
};

// Tag filter on the consume-queue tagsCode; null = accept all.
using tags_filter = std::function<bool(int64_t tags_code)>;

// A message as dispatched to consume queues (for listeners).
struct arrival {
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;  // of the message; the queue's max is this + 1
  int64_t tags_code = 0;
  int64_t store_timestamp = 0;
};

// HA state (store/ha.h).
struct ha_runtime {
  int slaves = 0;                  // master: slave connections
  int64_t acked_offset = -1;       // master: the highest offset a slave confirmed
  std::string master_address;      // slave: the master it follows
  bool connected = false;          // slave: connected to it
  int64_t received_offset = 0;     // slave: its max offset
};

struct store_stats {
  uint64_t group_commit_syncs = 0;
  uint64_t group_commit_released = 0;
  int64_t commit_log_min_offset = 0;
  int64_t commit_log_max_offset = 0;
  int64_t dispatch_behind_bytes = 0;
  int64_t flush_behind_bytes = 0;                // written but not yet flushed
  commit_log::flush_histogram flush_latency;     // flushes that wrote something
};

class message_store {
 public:
  // Lock the store directory, recover (abnormally if the abort file
  // exists), start the services. nullptr + *error on failure.
  static std::unique_ptr<message_store> open(const message_store_config& cfg, std::string* error);
  virtual ~message_store() = default;

  virtual put_result put(put_request req) = 0;
  // The same append on the caller's thread, without blocking for the flush:
  // `done` runs once with the result -- at once under ASYNC_FLUSH (or on any
  // error, or with wait_store_msg_ok=false), else on the group commit's
  // notifier thread after the fdatasync covering the records (or
  // flush_disk_timeout after syncFlushTimeout). Keep `done` short.
  virtual void put_async(put_request req, std::function<void(put_result)> done) = 0;

  virtual get_result get_message(const std::string& topic, int32_t queue_id, int64_t offset, int32_t max_msgs,
                                 int64_t max_bytes, const tags_filter& filter) = 0;

  // One whole record at a commit-log offset (validated), for query by id.
  virtual std::optional<std::string> read_record(int64_t commit_log_offset) = 0;
  // Records whose key (KEYS token or UNIQ_KEY) equals `key`, newest first.
  virtual std::vector<std::string> query_by_key(const std::string& topic, const std::string& key, int max,
                                                int64_t begin_ms, int64_t end_ms) = 0;

  virtual int64_t max_offset_in_queue(const std::string& topic, int32_t queue_id) = 0;
  virtual int64_t min_offset_in_queue(const std::string& topic, int32_t queue_id) = 0;
  virtual int64_t offset_by_time(const std::string& topic, int32_t queue_id, int64_t timestamp) = 0;
  // Store time of the message at a queue offset, -1 if none.
  virtual int64_t store_time_at(const std::string& topic, int32_t queue_id, int64_t queue_offset) = 0;
  virtual int64_t commit_log_max_offset() = 0;
  virtual int64_t commit_log_min_offset() = 0;

  // Called on the reput thread for every message dispatched to a consume
  // queue (long polling wake-ups). Set before traffic.
  virtual void set_arrival_listener(std::function<void(const arrival&)> fn) = 0;
  // Block until everything appended so far is dispatched (tests, shutdown).
  virtual bool wait_dispatched(std::chrono::milliseconds timeout) = 0;

  // Run one retention pass now (also runs periodically). `force` deletes
  // expired files regardless of deleteWhen. Returns commit-log files deleted.
  virtual int clean_expired(bool force) = 0;
  virtual void delete_topic(const std::string& topic) = 0;
  // Topics that have consume queues (CLEAN_UNUSED_TOPIC compares them with
  // the broker's topic table).
  virtual std::vector<std::string> queue_topics() = 0;

  virtual store_stats stats() = 0;

  // HA (store/ha.h). A slave follows `address` (host:port of its master's
  // HA port); the broker passes what the name server tells it.
  virtual void set_ha_master_address(const std::string& address) = 0;
  virtual ha_runtime ha() = 0;
  // True when the last open found the abort file (crash recovery ran).
  virtual bool recovered_abnormally() const = 0;

  // Tests only: stop the threads as a crash would leave things: no final
  // flush, no checkpoint, abort file left in place, lock released.
  virtual void halt_for_test() = 0;

  // Graceful: stop services, flush everything, write the checkpoint, remove
  // the abort file and release the lock. Idempotent.
  virtual void shutdown() = 0;
};

}  // namespace mq::store
