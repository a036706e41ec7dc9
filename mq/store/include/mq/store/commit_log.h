// CommitLog: all messages of the broker, back to back, in mapped files of
// `mapped_file_size_commit_log` bytes (docs/format/commitlog.md).
//
// append(): one appender at a time (the put lock). Inside the lock it stamps
// each record's QUEUEOFFSET (per topic/queue counter; 0 and no counter step
// for PREPARED/ROLLBACK transactional records), PHYSICALOFFSET and
// STORETIMESTAMP, and copies it into the mapping. If a record (or a whole
// batch) plus 8 bytes does not fit the current file, an end-of-file blank
// (int32 remaining | int32 0xCBD43194) fills the file and the append goes to
// the next one. After append() returns the data is in the page cache and
// visible to readers; durability is flush's job (flush_service.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mq/store/flush_service.h"
#include "mq/store/mapped_file_queue.h"
#include "mq/store/record.h"

namespace mq::store {

enum class append_status { ok, message_illegal, create_mapped_file_failed, unknown_error };

struct append_result {
  append_status status = append_status::unknown_error;
  int64_t wrote_offset = 0;      // commit-log offset of the first record
  int64_t end_offset = 0;        // offset right after the last record
  int64_t queue_offset = 0;      // queue offset of the first record
  int64_t store_timestamp = 0;
  int32_t msg_num = 0;
  std::vector<int64_t> offsets;  // commit-log offset of each record
  std::string error;
};

class commit_log : public flushable {
 public:
  commit_log(std::string dir, int64_t file_size, bool preallocate, bool warm);

  bool load(std::string* error) { return files_.load(error); }
  mapped_file_queue& files() { return files_; }

  // Append pre-encoded records (mq::common::encode_record output) that all
  // go to `topic`/`queue_id` with `sys_flag`. Thread-safe.
  append_result append(std::vector<std::string>& records, std::string_view topic, int32_t queue_id,
                       int32_t sys_flag);

  // HA slave: append bytes replicated from the master at `offset`, which
  // must be this log's max offset (or any offset when the log is empty: the
  // first file starts at the file boundary below it). The bytes must not
  // cross a file end (the master never sends such a chunk). Thread-safe.
  bool append_raw(int64_t offset, std::string_view data, std::string* error);

  // The bytes [offset, offset+size) if they lie in one file below the write
  // position; the shared_ptr keeps the mapping alive while they are used.
  struct slice {
    std::shared_ptr<mapped_file> file;
    std::string_view data;
  };
  std::optional<slice> read(int64_t offset, int32_t size);
  // Everything from `offset` to the end of its file's written data.
  std::optional<slice> read_from(int64_t offset);

  int64_t min_offset();
  int64_t max_offset() { return files_.max_offset(); }
  // Next offset of the next file (for a reader that met a blank).
  int64_t roll_next_file(int64_t offset) const { return offset + file_size_ - offset % file_size_; }
  int64_t file_size() const { return file_size_; }

  // Queue offset counters ("topic-queueId" -> next queue offset).
  void set_topic_queue_table(const std::map<std::string, int64_t>& table);
  void remove_queue_from_table(const std::string& topic, int32_t queue_id);
  int64_t next_queue_offset(const std::string& topic, int32_t queue_id);

  // Recovery: scan from `start_file_index` (of files()) validating records,
  // call `on_record` for each valid one, and cut the log after the last
  // valid record. Returns the new max offset.
  int64_t recover(size_t start_file_index, bool check_crc,
                  const std::function<void(const record_fields&, int64_t offset)>& on_record);

  int64_t last_store_timestamp() const { return last_store_timestamp_.load(); }
  // Store time of the newest record known to be flushed (checkpoint).
  int64_t flushed_store_timestamp() const { return flushed_store_timestamp_.load(); }

  // Durations of the flushes that wrote something (fdatasync included):
  // counts per bucket of kFlushBuckets (seconds, cumulative on read), their
  // number and sum. Read by the broker's /metrics.
  static constexpr std::array<double, 10> kFlushBuckets = {0.0001, 0.0005, 0.001, 0.0025, 0.005,
                                                           0.01,   0.025,  0.1,   0.5,    2.0};
  struct flush_histogram {
    std::array<uint64_t, kFlushBuckets.size()> le{};  // cumulative
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  flush_histogram flush_latency() const;

  // flushable
  bool flush(int least_pages) override;
  int64_t flushed_where() const override { return files_.flushed_where(); }

 private:
  const int64_t file_size_;
  mapped_file_queue files_;
  std::mutex put_mu_;
  std::unordered_map<std::string, int64_t> queue_table_;  // GUARDED_BY(put_mu_)
  std::atomic<int64_t> last_store_timestamp_{0};
  std::atomic<int64_t> flushed_store_timestamp_{0};
  std::array<std::atomic<uint64_t>, kFlushBuckets.size() + 1> flush_buckets_{};  // last: +Inf
  std::atomic<uint64_t> flush_count_{0};
  std::atomic<uint64_t> flush_ns_{0};
};

}  // namespace mq::store
