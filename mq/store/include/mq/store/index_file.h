// IndexFile and IndexService: the hash index from "topic#key" to commit-log
// offsets (docs/format/indexfile.md), RocketMQ's layout:
//   header 40 B: int64 beginTimestamp | int64 endTimestamp | int64 beginPhyOffset |
//                int64 endPhyOffset | int32 hashSlotCount | int32 indexCount (starts at 1)
//   hashSlotNum x int32 slot (newest entry number for the slot, 0 = empty)
//   indexNum x 20 B entry: int32 keyHash | int64 phyOffset | int32 timeDiff(s) | int32 prevIndex
// Files are named by creation time yyyyMMddHHmmssSSS (local time).
//
// Thread-safety: index_service serializes writers (the reput thread) and
// readers with an internal mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mq/store/mapped_file.h"

namespace mq::store {

inline constexpr int kIndexHeaderSize = 40;
inline constexpr int kIndexEntrySize = 20;

class index_file {
 public:
  static std::unique_ptr<index_file> open(const std::string& path, int hash_slot_num, int index_num,
                                          std::string* error);

  // Add one key; false when the file is full.
  bool put_key(std::string_view key, int64_t phy_offset, int64_t store_timestamp);
  // Newest first, at most `max`, stored within [begin, end] (ms).
  void select(std::string_view key, size_t max, int64_t begin, int64_t end, std::vector<int64_t>& out) const;

  bool is_full() const;
  int64_t begin_timestamp() const;
  int64_t end_timestamp() const;
  int64_t begin_phy_offset() const;
  int64_t end_phy_offset() const;
  int32_t index_count() const;
  // A new file starts where the previous ended.
  void inherit(int64_t end_phy_offset, int64_t end_timestamp);
  bool flush() { return file_->sync(); }
  void destroy() { file_->destroy(); }
  const std::string& path() const { return file_->path(); }

  // abs(java hash("topic#key")), Integer.MIN_VALUE -> 0.
  static int32_t key_hash(std::string_view key);

 private:
  index_file(std::unique_ptr<mapped_file> f, int slots, int num) : file_(std::move(f)), slots_(slots), num_(num) {}
  char* header() const { return const_cast<char*>(file_->base()); }

  std::unique_ptr<mapped_file> file_;
  const int slots_;
  const int num_;
};

class index_service {
 public:
  index_service(std::string dir, int hash_slot_num, int index_num);

  bool load(std::string* error);
  // Recovery cut the commit log at `commit_log_max_offset`. Entries that
  // point at or past it are stale: queries skip them (the store re-checks
  // every hit against the record), and records appended there from now on
  // are indexed even though older entries cover those offsets.
  void truncate_after(int64_t commit_log_max_offset);

  // Index a dispatched message: "topic#key" for its UNIQ_KEY and each KEYS token.
  void build_index(std::string_view topic, std::string_view uniq_key, std::string_view keys, int64_t phy_offset,
                   int64_t store_timestamp);
  // Commit-log offsets of messages with `key` in `topic`, newest first.
  std::vector<int64_t> query(std::string_view topic, std::string_view key, size_t max, int64_t begin,
                             int64_t end);

  bool flush();
  int64_t last_end_timestamp();
  // Delete files whose end offset is below `min_phy_offset` (never the last).
  int delete_expired(int64_t min_phy_offset);

 private:
  index_file* writable(std::string* error);

  const std::string dir_;
  const int slots_;
  const int num_;
  std::mutex mu_;
  std::vector<std::unique_ptr<index_file>> files_;  // GUARDED_BY(mu_)
  int64_t valid_end_ = INT64_MAX;                    // GUARDED_BY(mu_)
};

}  // namespace mq::store
