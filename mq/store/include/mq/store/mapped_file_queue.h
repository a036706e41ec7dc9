// MappedFileQueue: the ordered files of one log (the commit log, or one
// consume queue) in one directory, each `file_size` bytes and named by its
// global start offset (docs/format/commitlog.md).
//
// Thread-safety: the file list is guarded by an internal mutex; callers get
// shared_ptrs that stay valid (mapped) even if the file is deleted meanwhile.
// Appending to the last file is the owner's job and is single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mq/store/mapped_file.h"

namespace mq::store {

class mapped_file_queue {
 public:
  // `preallocate`: create (and with `warm`, pre-touch) the next file in the
  // background as soon as a new last file is created.
  mapped_file_queue(std::string dir, int64_t file_size, bool preallocate = false, bool warm = false);
  ~mapped_file_queue();

  // Map every existing file (sorted by name). Fails on a file whose size
  // differs from file_size or whose name is not a 20-digit offset matching its
  // position. Watermarks are set to "full"; recovery then truncates.
  bool load(std::string* error);

  const std::string& dir() const { return dir_; }
  int64_t file_size() const { return file_size_; }

  // The last file, creating the first or next one when there is none or the
  // last is full (start_offset is used only for the very first file).
  std::shared_ptr<mapped_file> last_file();
  std::shared_ptr<mapped_file> last_file_or_create(int64_t start_offset, std::string* error);
  // Roll: create the file that starts right after the (full) last one.
  std::shared_ptr<mapped_file> create_next(std::string* error);
  std::shared_ptr<mapped_file> first_file();
  // The file holding global `offset` (nullptr if none).
  std::shared_ptr<mapped_file> find_by_offset(int64_t offset);
  std::vector<std::shared_ptr<mapped_file>> files();

  int64_t min_offset();  // start of the first file, or -1 when empty
  int64_t max_offset();  // global write position (0 when empty)
  int64_t flushed_where() const { return flushed_where_.load(); }
  void set_flushed_where(int64_t v) { flushed_where_.store(v); }

  // Drop everything at or after global `offset`: later files are deleted, the
  // file holding it is cut (zeroed) there.
  void truncate_dirty(int64_t offset);

  // Flush unflushed data (at least `least_pages` pages unless 0). Returns
  // false on an I/O error.
  bool flush(int least_pages);

  // Delete files (never the last one) for which `expired(file)` is true,
  // oldest first, stopping at the first that is not; at most `max_files`.
  int delete_files_while(const std::function<bool(const mapped_file&)>& expired, int max_files);

  // Remove everything (files and directory entries).
  void destroy();

 private:
  std::shared_ptr<mapped_file> create_file(int64_t offset, std::string* error);
  void schedule_preallocation(int64_t offset);

  const std::string dir_;
  const int64_t file_size_;
  const bool preallocate_;
  const bool warm_;
  std::mutex mu_;
  std::vector<std::shared_ptr<mapped_file>> files_;  // GUARDED_BY(mu_)
  std::atomic<int64_t> flushed_where_{0};
  // Background creation of the next file.
  std::mutex alloc_mu_;
  int64_t next_offset_ = -1;                           // GUARDED_BY(alloc_mu_)
  std::future<std::unique_ptr<mapped_file>> next_;     // GUARDED_BY(alloc_mu_)
};

}  // namespace mq::store
