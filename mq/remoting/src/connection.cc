#include "connection.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <future>

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "log.h"
#include "mq/remoting/frame.h"

namespace mq::remoting {

const char* to_string(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::timeout: return "timeout";
    case errc::connect_failed: return "connect_failed";
    case errc::closed: return "closed";
    case errc::write_queue_full: return "write_queue_full";
    case errc::shutting_down: return "shutting_down";
  }
  return "?";
}

namespace detail {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxWriteBatch = 64;
std::atomic<uint64_t> g_next_id{1};

std::string endpoint_text(const tcp::endpoint& ep) {
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  if (a.is_v6()) return "[" + a.to_string() + "]:" + std::to_string(ep.port());
  return a.to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

bool split_host_port(const std::string& addr, std::string& host, std::string& port) {
  if (addr.empty()) return false;
  if (addr.front() == '[') {
    auto close = addr.find(']');
    if (close == std::string::npos || close + 1 >= addr.size() || addr[close + 1] != ':') return false;
    host = addr.substr(1, close - 1);
    port = addr.substr(close + 2);
  } else {
    auto colon = addr.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoi(port) > 0 && std::stoi(port) <= 65535;
}

// ---- dispatcher --------------------------------------------------------

void dispatcher::add(int32_t code, processor_fn fn, std::shared_ptr<bounded_executor> pool) {
  table_[code] = entry{std::move(fn), std::move(pool)};
}

void dispatcher::set_default(processor_fn fn, std::shared_ptr<bounded_executor> pool) {
  default_ = entry{std::move(fn), std::move(pool)};
}

void dispatcher::dispatch(const std::shared_ptr<connection>& ch, remoting_command req) {
  const entry* e = nullptr;
  if (auto it = table_.find(req.code); it != table_.end()) {
    e = &it->second;
  } else if (default_.fn) {
    e = &default_;
  }
  const bool oneway = req.is_oneway();
  if (e == nullptr) {
    if (!oneway) {
      ch->send(remoting_command::response_to(req, response_code::REQUEST_CODE_NOT_SUPPORTED,
                                             " request type " + std::to_string(req.code) + " not supported"));
    }
    log()->warn("request code {} not supported, from {}", req.code, ch->remote_address());
    ch->request_done();
    return;
  }
  if (!e->pool) {
    // Inline processor: runs here, on the io thread (fast, non-blocking work).
    std::optional<remoting_command> resp;
    try {
      resp = e->fn(ch, req);
    } catch (const std::exception& ex) {
      resp = remoting_command::response_to(req, response_code::SYSTEM_ERROR, ex.what());
      log()->error("processor for code {} threw: {}", req.code, ex.what());
    }
    if (resp && !oneway) {
      resp->opaque = req.opaque;
      resp->flag |= flag_response;
      resp->type = req.type;
      ch->send(std::move(*resp));
    }
    ch->request_done();
    return;
  }
  auto shared_req = std::make_shared<remoting_command>(std::move(req));
  inflight_.fetch_add(1);
  bool queued = e->pool->try_submit([this, fn = e->fn, ch, shared_req, oneway] {
    std::optional<remoting_command> resp;
    try {
      resp = fn(ch, *shared_req);
    } catch (const std::exception& ex) {
      resp = remoting_command::response_to(*shared_req, response_code::SYSTEM_ERROR, ex.what());
      log()->error("processor for code {} threw: {}", shared_req->code, ex.what());
    }
    if (resp && !oneway) {
      resp->opaque = shared_req->opaque;
      resp->flag |= flag_response;
      resp->type = shared_req->type;
      ch->send(std::move(*resp));
    }
    inflight_.fetch_sub(1);
    ch->request_done();
  });
  if (!queued) {
    inflight_.fetch_sub(1);
    if (!oneway) {
      ch->send(remoting_command::response_to(*shared_req, response_code::SYSTEM_BUSY,
                                             "[OVERLOAD]system busy, start flow control for a while"));
    }
    log()->warn("executor {} full: code {} from {} answered SYSTEM_BUSY", e->pool->name(),
                shared_req->code, ch->remote_address());
    ch->request_done();
  }
}

// ---- connection --------------------------------------------------------

connection::connection(tcp::socket socket, connection_options opts, dispatcher* disp,
                       std::atomic<int32_t>* opaque_gen, close_hook on_close)
    : id_(g_next_id.fetch_add(1)),
      socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      connect_timer_(socket_.get_executor()),
      resolver_(socket_.get_executor()),
      opts_(std::move(opts)),
      dispatcher_(disp),
      opaque_gen_(opaque_gen),
      on_close_(std::move(on_close)) {
  touch();
}

connection::~connection() = default;

void connection::touch() {
  last_activity_ns_.store(clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

void connection::start_accepted() {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  remote_ = ec ? std::string("?") : endpoint_text(ep);
  socket_.set_option(tcp::no_delay(true), ec);
  state_.store(state::open);
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->arm_idle_timer();
    self->do_read();
  });
}

void connection::start_connect(std::string host, std::string port, std::chrono::milliseconds timeout) {
  remote_ = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  asio::post(socket_.get_executor(), [self = shared_from_this(), host = std::move(host),
                                      port = std::move(port), timeout] {
    self->connect_timer_.expires_after(timeout);
    self->connect_timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec && self->state_.load() == state::connecting) {
        self->do_close(errc::connect_failed, "connect to " + self->remote_ + " timed out");
      }
    });
    self->resolver_.async_resolve(
        host, port, [self](const boost::system::error_code& ec, tcp::resolver::results_type results) {
          if (self->state_.load() != state::connecting) return;
          if (ec) {
            self->do_close(errc::connect_failed, "resolve " + self->remote_ + ": " + ec.message());
            return;
          }
          asio::async_connect(self->socket_, results,
                              [self](const boost::system::error_code& ec2, const tcp::endpoint&) {
                                if (self->state_.load() != state::connecting) return;
                                if (ec2) {
                                  self->do_close(errc::connect_failed,
                                                 "connect " + self->remote_ + ": " + ec2.message());
                                  return;
                                }
                                self->connect_timer_.cancel();
                                boost::system::error_code ignore;
                                self->socket_.set_option(tcp::no_delay(true), ignore);
                                self->state_.store(state::open);
                                self->touch();
                                self->arm_idle_timer();
                                self->do_read();
                                self->do_write();
                              });
        });
  });
}

void connection::arm_idle_timer() {
  if (opts_.idle_timeout.count() <= 0 || state_.load() == state::closed) return;
  idle_timer_.expires_after(opts_.idle_timeout / 4 + std::chrono::milliseconds(1));
  idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->state_.load() == state::closed) return;
    auto last = clock::time_point(clock::duration(self->last_activity_ns_.load()));
    if (clock::now() - last >= self->opts_.idle_timeout) {
      log()->info("{}: closing idle connection {} (no traffic for {} ms)", self->opts_.owner,
                  self->remote_, self->opts_.idle_timeout.count());
      self->do_close(errc::closed, "idle timeout");
      return;
    }
    self->arm_idle_timer();
  });
}

void connection::do_read() {
  if (reading_ || read_paused_ || state_.load() != state::open) return;
  if (read_buf_.size() - read_len_ < kReadChunk / 4) {
    read_buf_.resize(std::max(read_buf_.size() * 2, read_len_ + kReadChunk));
  }
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buf_.data() + read_len_, read_buf_.size() - read_len_),
                          [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                            self->on_read(ec, n);
                          });
}

void connection::on_read(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (ec) {
    if (state_.load() != state::closed) {
      do_close(errc::closed, ec == asio::error::eof ? "peer closed" : ec.message());
    }
    return;
  }
  touch();
  read_len_ += n;
  process_buffer();
}

bool connection::may_take_requests() const {
  return write_bytes_.load() <= opts_.write_queue_soft_limit &&
         inflight_.load() < static_cast<int64_t>(opts_.max_inflight_requests);
}

void connection::process_buffer() {
  size_t pos = 0;
  int requests = 0;
  auto self = shared_from_this();
  bool paused = false;
  while (state_.load() == state::open) {
    if (!may_take_requests()) {
      paused = true;  // resumed by maybe_resume() when the peer drains
      break;
    }
    remoting_command cmd;
    auto r = decode_frame(std::string_view(read_buf_.data() + pos, read_len_ - pos), cmd, opts_.max_frame_size);
    if (r.status == decode_status::need_more) {
      // Grow only to what a length that passed the max-frame check needs.
      if (r.needed > read_buf_.size() - pos) {
        if (pos > 0) {
          std::memmove(read_buf_.data(), read_buf_.data() + pos, read_len_ - pos);
          read_len_ -= pos;
          pos = 0;
        }
        if (r.needed > read_buf_.size()) read_buf_.resize(r.needed);
      }
      break;
    }
    if (r.status != decode_status::frame) {
      log()->warn("{}: closing {}: malformed frame ({}: {})", opts_.owner, remote_, to_string(r.status), r.error);
      do_close(errc::closed, std::string("malformed frame: ") + r.error);
      return;
    }
    pos += r.consumed;
    if (cmd.is_response()) {
      invoke_callback cb;
      {
        std::lock_guard lock(pending_mu_);
        auto it = pending_.find(cmd.opaque);
        if (it != pending_.end()) {
          cb = std::move(it->second.cb);
          pending_.erase(it);
        }
      }
      if (cb) {
        invoke_result res;
        res.response = std::move(cmd);
        cb(std::move(res));
      } else {
        log()->debug("{}: response with unknown opaque {} from {} (late or duplicate)", opts_.owner,
                     cmd.opaque, remote_);
      }
    } else {
      inflight_.fetch_add(1);
      last_read_requests_.store(++requests, std::memory_order_relaxed);
      dispatcher_->dispatch(self, std::move(cmd));
    }
  }
  if (state_.load() != state::open) return;
  if (pos > 0) {
    std::memmove(read_buf_.data(), read_buf_.data() + pos, read_len_ - pos);
    read_len_ -= pos;
  }
  // Shrink a buffer that grew for one large frame.
  if (read_len_ == 0 && read_buf_.size() > 4 * kReadChunk) {
    read_buf_.clear();
    read_buf_.shrink_to_fit();
  }
  if (paused) {
    read_paused_ = true;
    return;
  }
  do_read();
}

void connection::request_done() {
  int64_t left = inflight_.fetch_sub(1) - 1;
  if (left < static_cast<int64_t>(opts_.max_inflight_requests) / 2 + 1) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->maybe_resume(); });
  }
}

void connection::maybe_resume() {
  if (!read_paused_ || state_.load() != state::open) return;
  if (write_bytes_.load() > opts_.write_queue_soft_limit / 2) return;
  if (inflight_.load() >= static_cast<int64_t>(opts_.max_inflight_requests) / 2 + 1) return;
  read_paused_ = false;
  process_buffer();
}

bool connection::enqueue(std::string frame, bool is_response, bool lone) {
  if (state_.load() == state::closed) return false;
  size_t sz = frame.size();
  size_t before = write_bytes_.fetch_add(sz);
  if (!is_response && before + sz > opts_.write_queue_hard_limit) {
    write_bytes_.fetch_sub(sz);
    log()->warn("{}: write queue to {} full ({} bytes); dropping a frame", opts_.owner, remote_, before);
    return false;
  }
  std::unique_lock lk(write_mu_);
  if (state_.load() == state::closed) {
    write_bytes_.fetch_sub(sz);
    return true;  // closed meanwhile: dropped with the rest of the queue
  }
  write_queue_.push_back(std::move(frame));
  if (writing_ || !lone || state_.load() != state::open) {
    // The writer in charge (a thread in direct_write() or the strand) takes
    // it; a connection still connecting writes its queue once connected.
    bool kick = !writing_;
    lk.unlock();
    if (kick) asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->do_write(); });
    return true;
  }
  // A lone frame (its request or response is the connection's only one in
  // flight) and nothing on the wire: this thread writes it itself. Handing
  // it to the strand would wake an io thread for every frame, and a thread
  // wake-up costs more than the send on a small VM. Frames of a busy
  // (pipelined) connection go through the strand, which writes many in one
  // writev.
  writing_ = true;
  direct_ = true;
  lk.unlock();
  direct_write();
  return true;
}

// Writes the queue from the calling thread with non-blocking sends, taking
// in each round what other threads queued meanwhile (they return at once:
// one writer at a time, the others only queue). When the socket is full it
// hands the rest to the strand's async write. Called with writing_ and
// direct_ set by this thread.
void connection::direct_write() {
  std::vector<std::string> batch;
  std::vector<iovec> iov;
  while (true) {
    {
      std::unique_lock lk(write_mu_);
      if (state_.load() == state::closed) {
        direct_ = false;
        writing_ = false;
        bool close_fd = close_fd_pending_;
        lk.unlock();
        if (close_fd) asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close_socket(); });
        return;
      }
      if (write_queue_.empty()) {
        direct_ = false;
        writing_ = false;
        lk.unlock();
        if (close_when_drained_.load())
          asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_drained(); });
        return;
      }
      batch.clear();
      while (!write_queue_.empty() && batch.size() < kMaxWriteBatch) {
        batch.push_back(std::move(write_queue_.front()));
        write_queue_.pop_front();
      }
    }
    size_t total = 0;
    for (auto& f : batch) total += f.size();
    size_t sent = 0;
    int fd = socket_.native_handle();  // not closed while direct_ is set (see do_close)
    while (sent < total) {
      iov.clear();
      size_t skip = sent;
      for (auto& f : batch) {
        if (skip >= f.size()) {
          skip -= f.size();
          continue;
        }
        iov.push_back(iovec{const_cast<char*>(f.data()) + skip, f.size() - skip});
        skip = 0;
      }
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = iov.size();
      ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // EAGAIN, or an error that the strand's write reports and closes on
      }
    }
    if (sent > 0) {
      write_bytes_.fetch_sub(sent);
      touch();
    }
    if (sent < total) {
      // Put the unsent tail back at the front, in order, and let the strand
      // finish (writing_ stays set: the strand takes over from here).
      std::unique_lock lk(write_mu_);
      size_t skip = sent;
      std::deque<std::string> rest;
      for (auto& f : batch) {
        if (skip >= f.size()) {
          skip -= f.size();
          continue;
        }
        rest.push_back(skip > 0 ? f.substr(skip) : std::move(f));
        skip = 0;
      }
      write_queue_.insert(write_queue_.begin(), std::make_move_iterator(rest.begin()),
                          std::make_move_iterator(rest.end()));
      direct_ = false;
      bool close_fd = close_fd_pending_;
      lk.unlock();
      asio::post(socket_.get_executor(), [self = shared_from_this(), close_fd] {
        if (close_fd) return self->close_socket();
        {
          std::lock_guard g(self->write_mu_);
          self->writing_ = false;
        }
        self->do_write();
      });
      return;
    }
  }
}

// On the strand: the descriptor's close, deferred by do_close() while a
// direct writer was using it.
void connection::close_socket() {
  std::lock_guard lk(write_mu_);
  boost::system::error_code ignore;
  socket_.shutdown(tcp::socket::shutdown_both, ignore);
  socket_.close(ignore);
  size_t dropped = 0;
  for (auto& f : write_queue_) dropped += f.size();
  write_queue_.clear();
  write_bytes_.fetch_sub(dropped);
  close_fd_pending_ = false;
}

void connection::do_write() {
  std::unique_lock lk(write_mu_);
  if (writing_ || write_queue_.empty() || state_.load() != state::open) return;
  writing_ = true;
  writing_batch_.clear();
  std::vector<asio::const_buffer> bufs;
  while (!write_queue_.empty() && writing_batch_.size() < kMaxWriteBatch) {
    writing_batch_.push_back(std::move(write_queue_.front()));
    write_queue_.pop_front();
  }
  lk.unlock();
  bufs.reserve(writing_batch_.size());
  for (auto& b : writing_batch_) bufs.emplace_back(asio::buffer(b));
  asio::async_write(socket_, bufs, [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
    self->on_write(ec, n);
  });
}

// On the strand: close now if close_when_drained() asked for it and nothing is left to write.
void connection::on_drained() {
  if (state_.load() == state::closed || !close_when_drained_.load()) return;
  {
    std::lock_guard lk(write_mu_);
    if (writing_ || !write_queue_.empty()) return;  // on_write comes back here
  }
  do_close(errc::shutting_down, "closed after drain");
}

void connection::on_write(const boost::system::error_code& ec, size_t n) {
  {
    std::lock_guard lk(write_mu_);
    writing_ = false;
  }
  write_bytes_.fetch_sub(n);
  writing_batch_.clear();
  if (ec) {
    do_close(errc::closed, "write: " + ec.message());
    return;
  }
  touch();
  on_drained();
  if (state_.load() == state::closed) return;
  maybe_resume();
  do_write();
}

bool connection::send(remoting_command cmd) {
  bool is_response = cmd.is_response();
  // A response is lone when no other request of this connection is still being processed.
  // A response is lone when no other request of this connection is being
  // processed and the last read brought one request (a pipelining client
  // sends many per read: their responses are better written together).
  return enqueue(encode_frame(cmd), is_response,
                 !is_response || (inflight_.load() <= 1 && last_read_requests_.load(std::memory_order_relaxed) <= 1));
}

void connection::invoke_async(remoting_command req, std::chrono::milliseconds timeout, invoke_callback cb) {
  req.flag &= ~flag_response;
  req.flag &= ~flag_oneway;
  req.opaque = opaque_gen_->fetch_add(1);
  if (state_.load() == state::closed) {
    cb(invoke_result{errc::closed, "connection to " + remote_ + " is closed", {}});
    return;
  }
  int32_t opaque = req.opaque;
  bool lone;
  {
    std::lock_guard lock(pending_mu_);
    pending_[opaque] = pending{std::move(cb), clock::now() + timeout};
    lone = pending_.size() == 1;
  }
  if (!enqueue(encode_frame(req), false, lone)) {
    invoke_callback failed;
    {
      std::lock_guard lock(pending_mu_);
      auto it = pending_.find(opaque);
      if (it != pending_.end()) {
        failed = std::move(it->second.cb);
        pending_.erase(it);
      }
    }
    if (failed) {
      bool closed = state_.load() == state::closed;
      failed(invoke_result{closed ? errc::closed : errc::write_queue_full,
                           closed ? "connection closed" : "write queue full", {}});
    }
  }
}

invoke_result connection::invoke_sync(remoting_command req, std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<invoke_result>>();
  auto future = promise->get_future();
  invoke_async(std::move(req), timeout, [promise](invoke_result r) { promise->set_value(std::move(r)); });
  return future.get();  // the sweeper bounds the wait by `timeout`
}

errc connection::invoke_oneway(remoting_command req) {
  req.flag &= ~flag_response;
  req.flag |= flag_oneway;
  req.opaque = opaque_gen_->fetch_add(1);
  if (state_.load() == state::closed) return errc::closed;
  return enqueue(encode_frame(req), false, false) ? errc::ok : errc::write_queue_full;
}

void connection::sweep(clock::time_point now) {
  std::vector<invoke_callback> expired;
  {
    std::lock_guard lock(pending_mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.cb));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& cb : expired) {
    cb(invoke_result{errc::timeout, "no response from " + remote_ + " within the timeout", {}});
  }
}

void connection::close_when_drained() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->state_.load() == state::closed) return;
    self->close_when_drained_.store(true);
    self->on_drained();  // closes now when nothing is left to write
  });
}

void connection::close() { close_with(errc::closed, "closed locally"); }

void connection::close_with(errc reason, std::string why) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason, why = std::move(why)] {
    self->do_close(reason, why);
  });
}

void connection::do_close(errc reason, const std::string& why) {
  state prev = state_.exchange(state::closed);
  if (prev == state::closed) return;
  idle_timer_.cancel();
  connect_timer_.cancel();
  resolver_.cancel();
  {
    std::lock_guard lk(write_mu_);
    if (direct_) {
      // A thread is sending on the descriptor right now: it closes it
      // (through close_socket() on the strand) when it sees state closed.
      close_fd_pending_ = true;
    }
  }
  if (!close_fd_pending_.load()) close_socket();
  log()->debug("{}: connection {} to {} closed: {}", opts_.owner, id_, remote_, why);
  std::unordered_map<int32_t, pending> failed;
  {
    std::lock_guard lock(pending_mu_);
    failed.swap(pending_);
  }
  for (auto& [opaque, p] : failed) {
    p.cb(invoke_result{reason == errc::shutting_down ? errc::shutting_down
                       : reason == errc::connect_failed ? errc::connect_failed
                                                        : errc::closed,
                       "connection to " + remote_ + " closed: " + why,
                       {}});
  }
  if (on_close_) on_close_(shared_from_this());
}

}  // namespace detail
}  // namespace mq::remoting
