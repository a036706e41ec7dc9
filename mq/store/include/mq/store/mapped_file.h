// MappedFile: one fixed-size, pre-allocated, memory-mapped store file named by
// the 20-digit global offset of its first byte (docs/format/commitlog.md).
//
// Watermarks, in bytes from the file start, always ordered
//     flushed <= wrote <= file_size
// `wrote` advances on append (data is in the page cache, visible to readers
// through the mapping); `flushed` advances when fdatasync returned (data is
// durable). RocketMQ's "committed" (transient pool) is not implemented.
//
// Thread-safety: one appender at a time (the owner's put lock); readers may
// read below wrote() concurrently (acquire/release on the watermark). flush()
// may run on another thread than the appender.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mq::store {

// Test hook: told about every successful flush. Fault-injection tests use it
// to learn what a power loss may drop.
class flush_observer {
 public:
  virtual ~flush_observer() = default;
  virtual void on_flushed(const std::string& path, int64_t flushed_position) = 0;
};

class mapped_file {
 public:
  // Open or create `path` with exactly `file_size` bytes, mapped read-write.
  // `from_offset` is the global offset of byte 0. Returns nullptr and sets
  // *error on failure.
  static std::unique_ptr<mapped_file> open(const std::string& path, int64_t from_offset, int64_t file_size,
                                           std::string* error);
  ~mapped_file();

  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;

  const std::string& path() const { return path_; }
  int64_t from_offset() const { return from_offset_; }
  int64_t file_size() const { return file_size_; }
  char* base() { return base_; }
  const char* base() const { return base_; }

  int64_t wrote_position() const { return wrote_.load(std::memory_order_acquire); }
  int64_t flushed_position() const { return flushed_.load(std::memory_order_acquire); }
  bool is_full() const { return wrote_position() == file_size_; }
  int64_t remaining() const { return file_size_ - wrote_position(); }

  // Append `data` at wrote_position (caller checked it fits). Returns false
  // if it does not fit.
  bool append(std::string_view data);
  // Make `n` bytes written directly into base() + wrote_position() visible.
  void advance(int64_t n);
  // Recovery: set both watermarks (data beyond is treated as garbage and
  // zeroed so a later append never leaves stale bytes between records).
  void reset_positions(int64_t wrote, int64_t flushed);

  // fdatasync if there is unflushed data and at least `least_pages` 4 KiB
  // pages of it (0 = any). Returns the new flushed position, or -1 on an
  // I/O error (sticky for the store).
  int64_t flush(int least_pages);

  // fdatasync unconditionally (files written in place, like index files).
  bool sync();

  // Touch every page (and write zeros) so later appends take no page faults
  // and fdatasync does not grow the file (warmMapedFileEnable).
  void warm();

  // Last modification time in ms since the epoch (for retention).
  int64_t last_modified_ms() const;

  // Unlink the file; the mapping stays valid until this object is destroyed
  // (readers may still hold it).
  bool destroy();

  static void set_flush_observer(flush_observer* obs);  // tests only

 private:
  mapped_file(std::string path, int fd, char* base, int64_t from_offset, int64_t file_size);

  const std::string path_;
  int fd_;
  char* base_;
  const int64_t from_offset_;
  const int64_t file_size_;
  std::atomic<int64_t> wrote_{0};
  std::atomic<int64_t> flushed_{0};
};

// 20-digit zero-padded decimal file name for a global offset.
std::string offset_to_file_name(int64_t offset);

}  // namespace mq::store
