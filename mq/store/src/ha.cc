#include "mq/store/ha.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bytes.h"
#include "log.h"

namespace mq::store {

namespace {

using clock = std::chrono::steady_clock;

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

enum class rd { ok, timeout, closed };

// Reads exactly n bytes; `timeout` bounds the wait for the first byte only
// when nothing has been read yet, then each further wait.
rd recv_exact(int fd, char* p, size_t n, std::chrono::milliseconds timeout, const std::atomic<bool>& stop) {
  size_t got = 0;
  auto deadline = clock::now() + timeout;
  while (got < n) {
    if (stop.load()) return rd::closed;
    pollfd pfd{fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, 100);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return rd::closed;
    if (r == 0) {
      if (clock::now() >= deadline) return got == 0 ? rd::timeout : rd::closed;
      continue;
    }
    ssize_t m = ::recv(fd, p + got, n - got, 0);
    if (m < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (m <= 0) return rd::closed;
    got += static_cast<size_t>(m);
    deadline = clock::now() + timeout;
  }
  return rd::ok;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// "host:port" -> a connected socket, or -1.
int connect_to(const std::string& address, std::chrono::milliseconds timeout, std::string* error) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    *error = "HA address '" + address + "' is not host:port";
    return -1;
  }
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int e = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); e != 0 || !res) {
    *error = "cannot resolve " + address + ": " + ::gai_strerror(e);
    return -1;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int r = ::connect(fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (r != 0 && errno != EINPROGRESS) {
    *error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (r != 0) {
    pollfd pfd{fd, POLLOUT, 0};
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
      *error = "connect to " + address + ": " + (soerr ? std::strerror(soerr) : "timed out");
      ::close(fd);
      return -1;
    }
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  set_nodelay(fd);
  return fd;
}

}  // namespace

// ---- master ----------------------------------------------------------------

struct ha_master::connection {
  int fd = -1;
  std::string peer;
  std::atomic<int64_t> ack{-1};  // the slave's last report; -1 = none yet
  std::atomic<bool> dead{false};
  std::atomic<int64_t> last_read_ms{0};
  std::thread reader, writer;
  void kill() {
    if (!dead.exchange(true)) ::shutdown(fd, SHUT_RDWR);
  }
};

ha_master::ha_master(commit_log& log, const message_store_config& cfg) : log_(log), cfg_(cfg) {}

ha_master::~ha_master() { stop(); }

bool ha_master::start(std::string* error) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(cfg_.ha_listen_port));
  if (::inet_pton(AF_INET, cfg_.ha_listen_host.c_str(), &a.sin_addr) != 1) {
    *error = "bad HA listen host " + cfg_.ha_listen_host;
    return false;
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 16) != 0) {
    *error = "cannot listen for slaves on " + cfg_.ha_listen_host + ":" + std::to_string(cfg_.ha_listen_port) + ": " +
             std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
  expire_thread_ = std::thread([this] { expire_loop(); });
  log()->info("HA: serving slaves on {}:{}", cfg_.ha_listen_host, port_);
  return true;
}

void ha_master::stop() {
  if (stop_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  data_cv_.notify_all();
  wait_cv_.notify_all();
  if (accept_thread_.joinable()) accept_thread_.join();
  if (expire_thread_.joinable()) expire_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  std::list<std::shared_ptr<connection>> conns;
  {
    std::lock_guard lk(conns_mu_);
    conns.swap(conns_);
  }
  for (auto& c : conns) {
    c->kill();
    if (c->reader.joinable()) c->reader.join();
    if (c->writer.joinable()) c->writer.join();
    ::close(c->fd);
  }
  // Whoever still waits for a slave will not get one.
  std::multimap<int64_t, waiter> left;
  {
    std::lock_guard lk(wait_mu_);
    left.swap(waiters_);
  }
  for (auto& [end, w] : left) w.done(replication_status::timeout);
}

void ha_master::notify_append() {
  if (writers_waiting_.load(std::memory_order_relaxed) > 0) {
    std::lock_guard lk(data_mu_);
    data_cv_.notify_all();
  }
}

void ha_master::accept_loop() {
  while (!stop_.load()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, 200);
    reap();
    if (r <= 0) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    set_nodelay(fd);
    auto c = std::make_shared<connection>();
    c->fd = fd;
    char ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    c->peer = std::string(ip) + ":" + std::to_string(ntohs(peer.sin_port));
    log()->info("HA: slave {} connected", c->peer);
    c->reader = std::thread([this, c] { read_loop(c); });
    c->writer = std::thread([this, c] { write_loop(c); });
    std::lock_guard lk(conns_mu_);
    conns_.push_back(std::move(c));
  }
}

// Joins and forgets dead connections.
void ha_master::reap() {
  std::list<std::shared_ptr<connection>> dead;
  {
    std::lock_guard lk(conns_mu_);
    for (auto it = conns_.begin(); it != conns_.end();) {
      if ((*it)->dead.load()) {
        dead.push_back(*it);
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : dead) {
    data_cv_.notify_all();
    if (c->reader.joinable()) c->reader.join();
    if (c->writer.joinable()) c->writer.join();
    ::close(c->fd);
    log()->info("HA: slave {} gone (acked {})", c->peer, c->ack.load());
  }
}

void ha_master::read_loop(const std::shared_ptr<connection>& c) {
  char buf[8];
  while (!c->dead.load() && !stop_.load()) {
    auto r = recv_exact(c->fd, buf, 8, cfg_.ha_housekeeping_interval, stop_);
    if (r != rd::ok) {
      if (r == rd::timeout) log()->warn("HA: slave {} silent for {} ms; closing", c->peer, cfg_.ha_housekeeping_interval.count());
      break;
    }
    int64_t offset = get_i64(buf);
    int64_t max = log_.max_offset();
    if (offset < 0 || offset > max) {
      // A slave ahead of its master (it followed another, longer master):
      // tell it where this log ends (an empty transfer at that offset, which
      // it never sees otherwise), then close; it cuts its log back there.
      log()->error("HA: slave {} reports offset {} beyond this master's max {}; telling it to truncate", c->peer,
                   offset, max);
      if (c->ack.load() < 0 && offset > max) {  // the writer has not started: this thread may send
        char header[12];
        put_i64(header, max);
        put_i32(header + 8, 0);
        send_all(c->fd, header, sizeof header);
      }
      break;
    }
    c->ack.store(offset);
    on_ack(offset);
    {
      std::lock_guard lk(data_mu_);
      data_cv_.notify_all();  // a first report starts the writer
    }
  }
  c->kill();
}

void ha_master::write_loop(const std::shared_ptr<connection>& c) {
  // Nothing is sent before the slave's first report.
  {
    std::unique_lock lk(data_mu_);
    writers_waiting_++;
    // Timed: a kill() elsewhere does not take data_mu_ to notify.
    while (!c->dead.load() && !stop_.load() && c->ack.load() < 0) data_cv_.wait_for(lk, std::chrono::milliseconds(100));
    writers_waiting_--;
  }
  if (c->dead.load() || stop_.load()) return;
  int64_t next = c->ack.load();
  // An empty slave gets the whole log from the master's first file (Java's
  // master starts at its last file instead; docs/format/ha.md): a slave is
  // then a complete replica, readable from every offset the master has.
  if (next == 0) next = log_.min_offset();
  log()->info("HA: streaming to slave {} from offset {}", c->peer, next);
  auto last_write = clock::now();
  char header[12];
  while (!c->dead.load() && !stop_.load()) {
    std::optional<commit_log::slice> s;
    if (next < log_.max_offset()) {
      s = log_.read_from(next);
      if (!s) {
        int64_t min = log_.min_offset();
        if (next < min) {
          log()->error("HA: slave {} needs offset {}, below this master's min {}; closing", c->peer, next, min);
          break;
        }
        // Not readable yet (a file being created): look again shortly.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
    }
    if (s && !s->data.empty()) {
      size_t n = std::min(s->data.size(), static_cast<size_t>(cfg_.ha_transfer_batch_size));
      put_i64(header, next);
      put_i32(header + 8, static_cast<int32_t>(n));
      if (!send_all(c->fd, header, sizeof header) || !send_all(c->fd, s->data.data(), n)) break;
      next += static_cast<int64_t>(n);
      last_write = clock::now();
      continue;
    }
    if (clock::now() - last_write >= cfg_.ha_send_heartbeat_interval) {
      put_i64(header, next);
      put_i32(header + 8, 0);
      if (!send_all(c->fd, header, sizeof header)) break;
      last_write = clock::now();
    }
    std::unique_lock lk(data_mu_);
    writers_waiting_++;
    data_cv_.wait_for(lk, std::chrono::milliseconds(100),
                      [&] { return c->dead.load() || stop_.load() || next < log_.max_offset(); });
    writers_waiting_--;
  }
  c->kill();
}

void ha_master::on_ack(int64_t offset) {
  int64_t prev = acked_.load();
  while (offset > prev && !acked_.compare_exchange_weak(prev, offset)) {
  }
  std::vector<std::function<void(replication_status)>> done;
  {
    std::lock_guard lk(wait_mu_);
    auto end = waiters_.upper_bound(acked_.load());
    for (auto it = waiters_.begin(); it != end; ++it) done.push_back(std::move(it->second.done));
    waiters_.erase(waiters_.begin(), end);
  }
  for (auto& d : done) d(replication_status::ok);
}

void ha_master::wait_replicated(int64_t end, std::function<void(replication_status)> done) {
  int64_t best = runtime().acked_offset;  // the best live slave's ack, -1 without one
  if (best < 0 || log_.max_offset() - best > cfg_.ha_slave_fallbehind_max) return done(replication_status::not_available);
  if (acked_.load() >= end) return done(replication_status::ok);
  {
    std::lock_guard lk(wait_mu_);
    waiters_.emplace(end, waiter{clock::now() + cfg_.slave_timeout, std::move(done)});
  }
  wait_cv_.notify_one();
  // The ack may have arrived between the check and the insert.
  on_ack(acked_.load());
}

void ha_master::expire_loop() {
  std::unique_lock lk(wait_mu_);
  while (!stop_.load()) {
    wait_cv_.wait_for(lk, std::chrono::milliseconds(10));
    auto now = clock::now();
    std::vector<std::function<void(replication_status)>> expired;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.done));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    if (expired.empty()) continue;
    lk.unlock();
    log()->warn("HA: {} send(s) not acknowledged by a slave within {} ms", expired.size(), cfg_.slave_timeout.count());
    for (auto& d : expired) d(replication_status::timeout);
    lk.lock();
  }
}

ha_runtime ha_master::runtime() {
  ha_runtime r;
  std::lock_guard lk(conns_mu_);
  for (auto& c : conns_)
    if (!c->dead.load()) {
      r.slaves++;
      r.acked_offset = std::max(r.acked_offset, c->ack.load());
    }
  return r;
}

// ---- slave -----------------------------------------------------------------

ha_slave::ha_slave(commit_log& log, const message_store_config& cfg, std::function<void()> on_append,
                   std::function<bool(int64_t)> truncate)
    : log_(log),
      cfg_(cfg),
      on_append_(std::move(on_append)),
      truncate_(std::move(truncate)),
      master_(cfg.ha_master_address) {}

ha_slave::~ha_slave() { stop(); }

void ha_slave::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void ha_slave::stop() {
  {
    std::lock_guard lk(mu_);
    if (stop_.exchange(true) && !thread_.joinable()) return;
    cv_.notify_all();
  }
  if (int fd = fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
}

void ha_slave::set_master(const std::string& address) {
  std::lock_guard lk(mu_);
  if (address == master_) return;
  log()->info("HA: following master {}", address.empty() ? "(none)" : address);
  master_ = address;
  if (int fd = fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);  // reconnect to the new one
  cv_.notify_all();
}

ha_runtime ha_slave::runtime() {
  ha_runtime r;
  {
    std::lock_guard lk(mu_);
    r.master_address = master_;
  }
  r.connected = connected_.load();
  r.received_offset = log_.max_offset();
  return r;
}

void ha_slave::run() {
  while (!stop_.load()) {
    std::string address;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_.load() || !master_.empty(); });
      address = master_;
    }
    if (stop_.load()) break;
    bool clean = follow(address);
    if (stop_.load()) break;
    std::unique_lock lk(mu_);
    // A new master is tried at once; the same one after the interval.
    cv_.wait_for(lk, clean ? std::chrono::milliseconds(0) : cfg_.ha_reconnect_interval,
                 [&] { return stop_.load() || master_ != address; });
  }
}

bool ha_slave::follow(const std::string& address) {
  std::string err;
  int fd = connect_to(address, std::chrono::milliseconds(3000), &err);
  if (fd < 0) {
    log()->warn("HA: cannot reach master {}: {}", address, err);
    return false;
  }
  fd_.store(fd);
  connected_.store(true);
  auto report = [&](int64_t offset) {
    char b[8];
    put_i64(b, offset);
    return send_all(fd, b, sizeof b);
  };
  int64_t reported = log_.max_offset();
  bool ok = report(reported);
  log()->info("HA: connected to master {}; reported offset {}", address, reported);
  auto last_report = clock::now(), last_read = clock::now();
  std::vector<char> body;
  char header[12];
  while (ok && !stop_.load()) {
    // Wait for a frame, reporting every heartbeat interval meanwhile.
    auto r = recv_exact(fd, header, sizeof header, cfg_.ha_send_heartbeat_interval, stop_);
    if (r == rd::timeout) {
      if (clock::now() - last_read >= cfg_.ha_housekeeping_interval) {
        log()->warn("HA: master {} silent for {} ms; reconnecting", address, cfg_.ha_housekeeping_interval.count());
        ok = false;
        break;
      }
      ok = report(log_.max_offset());
      continue;
    }
    if (r != rd::ok) {
      ok = false;
      break;
    }
    last_read = clock::now();
    int64_t offset = get_i64(header);
    int32_t size = get_i32(header + 8);
    if (size < 0 || size > std::max(cfg_.ha_transfer_batch_size, 4 * 1024 * 1024)) {
      log()->error("HA: master {} sent a chunk of {} bytes; closing", address, size);
      ok = false;
      break;
    }
    body.resize(static_cast<size_t>(size));
    if (size > 0 && recv_exact(fd, body.data(), body.size(), cfg_.ha_housekeeping_interval, stop_) != rd::ok) {
      ok = false;
      break;
    }
    int64_t mine = log_.max_offset();
    if (size == 0 && offset < mine) {
      // The master's log ends before ours (rule in docs/format/ha.md):
      // cut ours back to its end, then follow it from there.
      log()->warn("HA: master {} ends at {} but this slave's commit log ends at {}; truncating to the master's end",
                  address, offset, mine);
      bool cut = truncate_ && truncate_(offset);
      connected_.store(false);
      fd_.store(-1);
      ::close(fd);
      return cut;
    }
    if (size > 0) {
      if (mine != 0 && mine != offset) {
        log()->error("HA: master {} sent offset {} but this slave's commit log ends at {}; reconnecting", address,
                     offset, mine);
        ok = false;
        break;
      }
      if (!log_.append_raw(offset, std::string_view(body.data(), body.size()), &err)) {
        log()->error("HA: cannot append the master's chunk: {}", err);
        ok = false;
        break;
      }
      if (on_append_) on_append_();
    }
    int64_t now_max = log_.max_offset();
    if (now_max != reported || clock::now() - last_report >= cfg_.ha_send_heartbeat_interval) {
      ok = report(now_max);
      reported = now_max;
      last_report = clock::now();
    }
  }
  connected_.store(false);
  fd_.store(-1);
  ::close(fd);
  if (!stop_.load()) log()->info("HA: disconnected from master {}", address);
  return false;
}

}  // namespace mq::store
