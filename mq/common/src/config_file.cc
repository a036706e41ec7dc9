#include "mq/common/config_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

namespace mq {
namespace {

bool write_all_sync(const std::string& path, const std::string& content, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (error) *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (error) *error = "write " + path + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    if (error) *error = "fsync " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  return ::close(fd) == 0;
}

std::optional<std::string> slurp(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

bool write_file_atomic(const std::string& path, const std::string& content, std::string* error) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  // Keep the previous content as .bak (durably) before replacing it.
  if (auto old = slurp(path); old && !old->empty()) {
    if (!write_all_sync(path + ".bak", *old, error)) return false;
  }
  std::string tmp = path + ".tmp";
  if (!write_all_sync(tmp, content, error)) return false;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    if (error) *error = "rename " + tmp + ": " + std::strerror(errno);
    return false;
  }
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

std::optional<std::string> read_config_file(const std::string& path,
                                            const std::function<bool(const std::string&)>& valid) {
  auto ok = [&](const std::optional<std::string>& s) { return s && !s->empty() && (!valid || valid(*s)); };
  auto main = slurp(path);
  if (ok(main)) return main;
  auto bak = slurp(path + ".bak");
  if (ok(bak)) {
    spdlog::warn("config file {} is missing or damaged; using {}.bak", path, path);
    return bak;
  }
  return std::nullopt;
}

}  // namespace mq
