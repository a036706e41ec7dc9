// ConsumeQueue: the per topic/queue index into the commit log
// (docs/format/consumequeue.md). Unit n (the queue offset) is 20 bytes at
// logical byte n*20:  int64 commitLogOffset | int32 size | int64 tagsCode.
// Files are `units_per_file * 20` bytes (default 300,000 units = 6,000,000 B)
// under consumequeue/<topic>/<queueId>/, named by logical byte offset.
//
// Thread-safety: one writer (the reput dispatcher, or recovery); any number
// of concurrent readers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mq/store/mapped_file_queue.h"

namespace mq::store {

inline constexpr int kCqUnitSize = 20;

struct cq_unit {
  int64_t commit_log_offset = 0;
  int32_t size = 0;
  int64_t tags_code = 0;
};

class consume_queue {
 public:
  consume_queue(std::string topic, int32_t queue_id, const std::string& root_dir, int64_t file_size);

  const std::string& topic() const { return topic_; }
  int32_t queue_id() const { return queue_id_; }

  bool load(std::string* error);
  // Scan from the third-newest file; keep units while valid (offset >= 0,
  // size > 0), cut the rest. Sets max_physic_offset.
  void recover();

  // Append the unit for queue offset `cq_offset`. A unit already present at
  // that offset is left alone (re-dispatch after recovery); a gap is filled
  // with blank units. Returns false on an allocation/I/O failure.
  bool put(int64_t commit_log_offset, int32_t size, int64_t tags_code, int64_t cq_offset);

  // Queue offsets: [min_offset, max_offset). max = number of units written.
  int64_t min_offset() const { return min_logic_offset_.load() / kCqUnitSize; }
  int64_t max_offset();
  // End (offset + size) of the last unit's commit-log record, or -1.
  int64_t max_physic_offset() const { return max_physic_offset_.load(); }

  std::optional<cq_unit> get(int64_t cq_offset);
  // Up to `max_units` units from `cq_offset` within one file (a file end
  // stops the batch; the caller continues from the returned count).
  std::vector<cq_unit> get_batch(int64_t cq_offset, size_t max_units);

  // Binary search: the first queue offset whose message was stored at or
  // after `timestamp`; `store_time_of(phys_offset, size)` reads it from the
  // commit log (-1 if unreadable). Returns max_offset() when none.
  int64_t offset_by_time(int64_t timestamp, const std::function<int64_t(int64_t, int32_t)>& store_time_of);

  // Remove units whose commit-log offset is >= phys_offset (recovery).
  void truncate_dirty(int64_t phys_offset);
  // Delete files whose every unit points below `min_phys_offset`; then move
  // min_offset to the first unit at or above it. Returns files deleted.
  int delete_expired(int64_t min_phys_offset);

  bool flush(int least_pages) { return files_.flush(least_pages); }
  void destroy() { files_.destroy(); }

 private:
  std::optional<cq_unit> read_unit(const mapped_file& f, int64_t pos) const;
  void correct_min_offset(int64_t min_phys_offset);

  const std::string topic_;
  const int32_t queue_id_;
  mapped_file_queue files_;
  std::atomic<int64_t> max_physic_offset_{-1};
  std::atomic<int64_t> min_logic_offset_{0};  // logical bytes
};

}  // namespace mq::store
