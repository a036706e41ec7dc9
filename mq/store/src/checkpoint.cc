#include "mq/store/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "log.h"

namespace mq::store {
namespace {
constexpr size_t kSize = 4096;

int64_t get64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}
void put64(unsigned char* p, int64_t x) {
  auto v = static_cast<uint64_t>(x);
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<unsigned char>(v & 0xFF);
    v >>= 8;
  }
}
}  // namespace

bool store_checkpoint::open(const std::string& path, std::string* error) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    if (error) *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  unsigned char buf[kSize] = {};
  ssize_t n = ::pread(fd_, buf, kSize, 0);
  if (n < 0) {
    if (error) *error = "read " + path + ": " + std::strerror(errno);
    return false;
  }
  if (n >= 24) {
    physic_ = get64(buf);
    logics_ = get64(buf + 8);
    index_ = get64(buf + 16);
  }
  if (n < static_cast<ssize_t>(kSize)) return flush();
  return true;
}

store_checkpoint::~store_checkpoint() {
  if (fd_ >= 0) ::close(fd_);
}

int64_t store_checkpoint::min_timestamp(bool index_safe) const {
  int64_t m = std::min(physic_.load(), logics_.load());
  if (index_safe) m = std::min(m, index_.load());
  return std::max<int64_t>(0, m - 3000);
}

bool store_checkpoint::flush() {
  unsigned char buf[kSize] = {};
  put64(buf, physic_.load());
  put64(buf + 8, logics_.load());
  put64(buf + 16, index_.load());
  if (::pwrite(fd_, buf, kSize, 0) != static_cast<ssize_t>(kSize) || ::fdatasync(fd_) != 0) {
    log()->error("checkpoint {} write failed: {}", path_, std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace mq::store
