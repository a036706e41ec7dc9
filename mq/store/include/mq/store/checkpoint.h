// The `checkpoint` file (docs/format/checkpoint.md): one 4096-byte page,
//   @0  int64 physicMsgTimestamp  store time of the last flushed commit-log record
//   @8  int64 logicsMsgTimestamp  store time of the last flushed consume-queue entry
//   @16 int64 indexMsgTimestamp   store time of the last flushed index entry
// big-endian, the rest zero. Written with pwrite + fdatasync.
//
// Thread-safety: setters are atomic; flush() may run concurrently with them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mq::store {

class store_checkpoint {
 public:
  // Opens (creating a zeroed page if missing) and reads the values.
  bool open(const std::string& path, std::string* error);
  ~store_checkpoint();

  int64_t physic_msg_timestamp() const { return physic_.load(); }
  int64_t logics_msg_timestamp() const { return logics_.load(); }
  int64_t index_msg_timestamp() const { return index_.load(); }
  void set_physic_msg_timestamp(int64_t v) { physic_.store(v); }
  void set_logics_msg_timestamp(int64_t v) { logics_.store(v); }
  void set_index_msg_timestamp(int64_t v) { index_.store(v); }

  // min(physic, logics) - 3000 ms (with `index_safe`, also min with index).
  int64_t min_timestamp(bool index_safe = false) const;

  bool flush();

 private:
  std::string path_;
  int fd_ = -1;
  std::atomic<int64_t> physic_{0}, logics_{0}, index_{0};
};

}  // namespace mq::store
