#include "mq/store/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>

#include "log.h"

namespace mq::store {
namespace {
std::atomic<flush_observer*> g_observer{nullptr};
constexpr int64_t kPage = 4096;
}  // namespace

std::string offset_to_file_name(int64_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(offset));
  return buf;
}

void mapped_file::set_flush_observer(flush_observer* obs) { g_observer.store(obs); }

std::unique_ptr<mapped_file> mapped_file::open(const std::string& path, int64_t from_offset, int64_t file_size,
                                               std::string* error) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (error) *error = "open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    if (error) *error = "fstat " + path + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  if (st.st_size != file_size) {
    if (st.st_size > file_size) {
      if (error) *error = path + " is " + std::to_string(st.st_size) + " bytes, larger than the configured " +
                          std::to_string(file_size);
      ::close(fd);
      return nullptr;
    }
    // Reserve the blocks now so a full disk fails here, not with SIGBUS later.
    int rc = ::posix_fallocate(fd, 0, file_size);
    if (rc != 0) {
      if (error) *error = "allocate " + path + ": " + std::strerror(rc);
      ::close(fd);
      return nullptr;
    }
  }
  void* p = ::mmap(nullptr, static_cast<size_t>(file_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    if (error) *error = "mmap " + path + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<mapped_file>(new mapped_file(path, fd, static_cast<char*>(p), from_offset, file_size));
}

mapped_file::mapped_file(std::string path, int fd, char* base, int64_t from_offset, int64_t file_size)
    : path_(std::move(path)), fd_(fd), base_(base), from_offset_(from_offset), file_size_(file_size) {}

mapped_file::~mapped_file() {
  if (base_ != nullptr) ::munmap(base_, static_cast<size_t>(file_size_));
  if (fd_ >= 0) ::close(fd_);
}

bool mapped_file::append(std::string_view data) {
  int64_t pos = wrote_.load(std::memory_order_relaxed);
  if (static_cast<int64_t>(data.size()) > file_size_ - pos) return false;
  std::memcpy(base_ + pos, data.data(), data.size());
  wrote_.store(pos + static_cast<int64_t>(data.size()), std::memory_order_release);
  return true;
}

void mapped_file::advance(int64_t n) {
  wrote_.store(wrote_.load(std::memory_order_relaxed) + n, std::memory_order_release);
}

void mapped_file::reset_positions(int64_t wrote, int64_t flushed) {
  // Zero everything past the new end that is not zero already, so that no
  // stale or torn bytes survive beyond it (a later crash must never reveal an
  // older record there). Pages that read as zero are left untouched, so a
  // mostly empty pre-allocated file is not dirtied.
  static const char kZero[kPage] = {};
  int64_t off = wrote;
  while (off < file_size_) {
    int64_t page_end = std::min(file_size_, (off / kPage + 1) * kPage);
    size_t n = static_cast<size_t>(page_end - off);
    if (std::memcmp(base_ + off, kZero, n) != 0) std::memset(base_ + off, 0, n);
    off = page_end;
  }
  wrote_.store(wrote, std::memory_order_release);
  flushed_.store(std::min(flushed, wrote), std::memory_order_release);
}

int64_t mapped_file::flush(int least_pages) {
  int64_t wrote = wrote_.load(std::memory_order_acquire);
  int64_t flushed = flushed_.load(std::memory_order_acquire);
  if (wrote <= flushed) return flushed;
  if (least_pages > 0 && (wrote / kPage - flushed / kPage) < least_pages) return flushed;
  if (::fdatasync(fd_) != 0) {
    log()->error("fdatasync {} failed: {}", path_, std::strerror(errno));
    return -1;
  }
  flushed_.store(wrote, std::memory_order_release);
  if (auto* obs = g_observer.load()) obs->on_flushed(path_, wrote);
  return wrote;
}

bool mapped_file::sync() {
  if (::fdatasync(fd_) != 0) {
    log()->error("fdatasync {} failed: {}", path_, std::strerror(errno));
    return false;
  }
  return true;
}

void mapped_file::warm() {
  // Fault every page in writable ahead of the appender, so appends are plain
  // memcpy. MADV_POPULATE_WRITE (Linux 5.14+) does it in one call; else touch
  // each page. Then one fdatasync writes the zeros out, which turns the
  // file's unwritten extents into written ones: later fdatasyncs then carry
  // no extent conversion (about twice as fast on this VM).
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
  int64_t from = (wrote_position() / kPage) * kPage;
  if (::madvise(base_ + from, static_cast<size_t>(file_size_ - from), MADV_POPULATE_WRITE) != 0) {
    for (int64_t off = wrote_position(); off < file_size_; off += kPage) {
      volatile char* p = base_ + off;
      *p = *p;
    }
  }
  ::fdatasync(fd_);
}

int64_t mapped_file::last_modified_ms() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

bool mapped_file::destroy() {
  // Readers holding a shared_ptr keep the mapping until they let go; the
  // name disappears now.
  return ::unlink(path_.c_str()) == 0;
}

}  // namespace mq::store
