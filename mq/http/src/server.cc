#include "mq/http/server.h"

#include <array>
#include <csignal>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <sstream>

#include <sys/socket.h>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace mq::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

std::shared_ptr<spdlog::logger> logger_for(const std::string& name) {
  auto l = spdlog::get(name);
  return l ? l : spdlog::stderr_color_mt(name);
}

std::string default_error_body(int status, const std::string& message) {
  std::string m;
  for (char c : message) {
    if (c == '"' || c == '\\') m += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) m += c;
  }
  return "{\"success\":false,\"code\":" + std::to_string(status) + ",\"message\":\"" + m + "\",\"data\":null}";
}

// A fixed pool of worker threads with a bounded queue.
class worker_pool {
 public:
  worker_pool(size_t threads, size_t capacity) : capacity_(capacity) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }
  ~worker_pool() { shutdown(); }
  bool try_submit(std::function<void()> fn) {
    {
      std::lock_guard lk(mu_);
      if (stopping_ || queue_.size() >= capacity_) return false;
      queue_.push_back(std::move(fn));
      if (idle_ == 0) return true;  // every worker is busy: one picks it up when done, no wake-up needed
    }
    // Outside the lock: the woken worker does not block on it at once.
    cv_.notify_one();
    return true;
  }
  // Runs what is queued, then joins.
  void shutdown() {
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
      stopping_ = true;
      cv_.notify_all();
    }
    for (auto& t : threads_) t.join();
  }

 private:
  void run() {
    std::unique_lock lk(mu_);
    while (true) {
      idle_++;
      cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      idle_--;
      if (queue_.empty()) return;
      auto fn = std::move(queue_.front());
      queue_.pop_front();
      lk.unlock();
      fn();
      lk.lock();
    }
  }
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t idle_ = 0;  // workers waiting on cv_
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

struct server::impl {
  server_options opts;
  router routes;
  http::metrics stats;
  error_body_fn error_body = default_error_body;
  std::vector<ready_check> checks;
  std::shared_ptr<spdlog::logger> log;

  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> io_threads;
  std::unique_ptr<worker_pool> workers;
  uint16_t bound_port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<int> inflight{0};

  std::mutex sessions_mu;
  std::set<std::weak_ptr<struct session>, std::owner_less<std::weak_ptr<struct session>>> sessions;

  impl(server_options o, router r) : opts(std::move(o)), routes(std::move(r)), stats(opts.service, opts.metrics_prefix) {
    log = logger_for(opts.service);
  }

  response error(int status, const std::string& message) { return response::json(status, error_body(status, message)); }

  void do_accept();
  // Runs on a worker thread.
  response handle(request& req) {
    if (req.method == "GET" && req.path == "/healthz") {
      req.route = "/healthz";
      return response::json(200, "{\"success\":true,\"code\":0,\"message\":\"alive\",\"data\":{\"status\":\"UP\"}}");
    }
    if (req.method == "GET" && req.path == "/readyz") {
      req.route = "/readyz";
      bool all = true;
      std::string detail;
      for (auto& [name, fn] : checks) {
        bool ok = false;
        try {
          ok = fn();
        } catch (const std::exception&) {
          ok = false;
        }
        all = all && ok;
        if (!detail.empty()) detail += ',';
        detail += "\"" + name + "\":\"" + (ok ? "UP" : "DOWN") + "\"";
      }
      std::string data = req.has_query("verbose") ? "{" + detail + "}" : "{\"status\":\"" + std::string(all ? "UP" : "DOWN") + "\"}";
      return response::json(all ? 200 : 503, std::string("{\"success\":") + (all ? "true" : "false") +
                                                 ",\"code\":" + (all ? "0" : "503") + ",\"message\":\"" +
                                                 (all ? "ready" : "not ready") + "\",\"data\":" + data + "}");
    }
    if (req.method == "GET" && req.path == "/metrics") {
      req.route = "/metrics";
      return response{200, "text/plain; version=0.0.4; charset=utf-8", stats.render(), {}};
    }
    auto m = routes.match(req.method, req.path);
    if (m.result == router::outcome::not_found) {
      req.route = "(unmatched)";
      return error(404, "no route for " + req.method + " " + req.path);
    }
    if (m.result == router::outcome::method_not_allowed) {
      req.route = "(unmatched)";
      auto r = error(405, "method " + req.method + " not allowed on " + req.path);
      std::string allow;
      for (auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    req.route = m.pattern;
    req.params = std::move(m.params);
    try {
      return (*m.h)(req);
    } catch (const std::exception& e) {
      log->error("{} {}: handler threw: {}", req.method, req.target, e.what());
      return error(500, "internal error");
    }
  }
};

struct session : std::enable_shared_from_this<session> {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser;
  server::impl* srv;  // outlives every session: stop() joins the io threads first
  std::string remote;
  bool first = true;

  session(tcp::socket s, server::impl* srv_) : stream(std::move(s)), srv(srv_) {
    beast::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void start() {
    asio::dispatch(stream.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  void do_read() {
    if (srv->stopping) return close();
    start_read();
  }
  void start_read() {
    parser.emplace();
    parser->body_limit(srv->opts.body_limit);
    parser->header_limit(16 * 1024);
    // The first request gets the read timeout; later ones wait up to the idle timeout.
    stream.expires_after(first ? srv->opts.read_timeout : srv->opts.idle_timeout);
    bhttp::async_read(stream, buffer, *parser,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    first = false;
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return close();
    }
    auto begin = clock::now();
    if (ec) {
      // Malformed or oversized: answer and close.
      int status = ec == bhttp::error::body_limit ? 413 : (ec == bhttp::error::header_limit ? 431 : 400);
      std::string msg = ec == bhttp::error::body_limit
                            ? "request body larger than " + std::to_string(srv->opts.body_limit) + " bytes"
                            : "malformed HTTP request: " + ec.message();
      request r;
      r.method = "?";
      r.target = "?";
      r.route = "(malformed)";
      r.remote = remote;
      // The rest of the request is unread: drain it after the answer, so the
      // client can finish sending and read the answer (no reset).
      return write(r, srv->error(status, msg), false, begin, true);
    }
    auto breq = parser->release();
    auto req = std::make_shared<request>();
    req->method = std::string(breq.method_string());
    req->target = std::string(breq.target());
    req->remote = remote;
    auto q = req->target.find('?');
    auto path = decode_path(std::string_view(req->target).substr(0, q));
    if (q != std::string::npos) req->query = parse_query(std::string_view(req->target).substr(q + 1));
    for (auto& f : breq) req->headers.emplace(std::string(f.name_string()), std::string(f.value()));
    req->body = std::move(breq.body());
    bool keep_alive = breq.keep_alive();
    if (!path) {
      req->route = "(malformed)";
      return write(*req, srv->error(400, "malformed path"), false, begin);
    }
    req->path = *path;
    auto self = shared_from_this();
    srv->inflight++;
    bool ok = srv->workers->try_submit([self, req, keep_alive, begin] {
      auto resp = self->srv->handle(*req);
      self->reply_from_worker(*req, std::move(resp), keep_alive, begin);
    });
    if (!ok) {
      srv->inflight--;
      req->route = req->route.empty() ? "(rejected)" : req->route;
      write(*req, srv->error(503, "server busy"), keep_alive, begin);
    }
  }

  // The Beast response for `resp`, after the access log line and the metrics.
  std::shared_ptr<bhttp::response<bhttp::string_body>> finish(const request& req, response resp, bool keep_alive,
                                                              clock::time_point begin) {
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - begin);
    srv->stats.observe_request(req.method, req.route.empty() ? "(unmatched)" : req.route, resp.status, latency);
    srv->log->info("{} {} {} {}us {}", req.method, req.target, resp.status, latency.count(), remote);
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(resp.status));
    res->set(bhttp::field::content_type, resp.content_type);
    res->set(bhttp::field::server, srv->opts.service);
    for (auto& [k, v] : resp.headers) res->set(k, v);
    res->body() = std::move(resp.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    return res;
  }

  // Runs on the worker that made the response. It goes out with a
  // non-blocking send from this thread and the next read is started here, so
  // a request costs no hop back to an io thread (each hop is a thread wake-up,
  // the dearest thing on a small VM). What the socket cannot take at once
  // continues as an async write on the io threads. io_mu keeps stop()'s
  // close() off the socket meanwhile; nothing else touches the session until
  // the read started here completes.
  void reply_from_worker(const request& req, response resp, bool keep_alive, clock::time_point begin) {
    std::unique_lock lk(io_mu);
    if (srv->stopping) keep_alive = false;
    auto res = finish(req, std::move(resp), keep_alive, begin);
    std::ostringstream os;
    os << *res;
    auto wire = std::make_shared<std::string>(std::move(os).str());
    size_t off = 0;
    int err = 0;
    int fd = stream.socket().native_handle();
    while (off < wire->size()) {
      ssize_t n = ::send(fd, wire->data() + off, wire->size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        err = n < 0 ? errno : EPIPE;
        break;
      }
    }
    srv->inflight--;
    if (off == wire->size() && keep_alive && !srv->stopping) return start_read();
    if (off == wire->size() || (err != EAGAIN && err != EWOULDBLOCK)) {
      lk.unlock();
      return asio::post(stream.get_executor(), [self = shared_from_this()] { self->close(); });
    }
    lk.unlock();
    asio::post(stream.get_executor(), [self = shared_from_this(), wire, off, keep_alive] {
      self->stream.expires_after(self->srv->opts.write_timeout);
      asio::async_write(self->stream, asio::buffer(wire->data() + off, wire->size() - off),
                        [self, wire, keep_alive](beast::error_code ec, size_t) {
                          if (ec || !keep_alive) return self->close();
                          self->do_read();
                        });
    });
  }

  void write(const request& req, response resp, bool keep_alive, clock::time_point begin, bool drain = false) {
    if (srv->stopping) keep_alive = false;
    auto res = finish(req, std::move(resp), keep_alive, begin);
    stream.expires_after(srv->opts.write_timeout);
    bhttp::async_write(stream, *res, [self = shared_from_this(), res, keep_alive, drain](beast::error_code ec, size_t) {
      if (!ec && drain) return self->linger();
      if (ec || !keep_alive) return self->close();
      self->do_read();
    });
  }

  // Lingering close: stop sending, then read and discard what the client is
  // still sending (up to 2 s and 64 MiB), then close.
  void linger() {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(2));
    discard(64u << 20);
  }
  void discard(size_t budget) {
    if (!drain_buf) drain_buf = std::make_unique<std::array<char, 16384>>();
    stream.async_read_some(asio::buffer(*drain_buf), [self = shared_from_this(), budget](beast::error_code ec, size_t n) {
      if (ec || n >= budget) return self->close();
      self->discard(budget - n);
    });
  }
  std::unique_ptr<std::array<char, 16384>> drain_buf;

  std::mutex io_mu;  // see reply_from_worker()

  void close() {
    std::lock_guard lk(io_mu);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
  }
};

void server::impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [self = this](beast::error_code ec, tcp::socket s) {
    if (self->stopping) return;
    if (!ec) {
      auto sess = std::make_shared<session>(std::move(s), self);
      {
        std::lock_guard lk(self->sessions_mu);
        for (auto it = self->sessions.begin(); it != self->sessions.end();)
          it = it->expired() ? self->sessions.erase(it) : std::next(it);
        self->sessions.insert(sess);
      }
      sess->start();
    } else {
      self->log->warn("accept failed: {}", ec.message());
    }
    self->do_accept();
  });
}

server::server(server_options opts, router routes)
    : impl_(std::make_shared<impl>(std::move(opts), std::move(routes))) {}

server::~server() { stop(); }

void server::set_error_body(error_body_fn fn) { impl_->error_body = std::move(fn); }
void server::add_ready_check(std::string name, std::function<bool()> check) {
  impl_->checks.emplace_back(std::move(name), std::move(check));
}
http::metrics& server::metrics() { return impl_->stats; }
uint16_t server::port() const { return impl_->bound_port; }

bool server::start(std::string* error) {
  auto& d = *impl_;
  beast::error_code ec;
  auto addr = asio::ip::make_address(d.opts.bind_address, ec);
  if (ec) {
    if (error) *error = "bad bind address '" + d.opts.bind_address + "': " + ec.message();
    return false;
  }
  tcp::endpoint ep(addr, d.opts.port);
  d.acceptor.open(ep.protocol(), ec);
  if (!ec) d.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) d.acceptor.bind(ep, ec);
  if (!ec) d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    if (error) *error = "cannot listen on " + d.opts.bind_address + ":" + std::to_string(d.opts.port) + ": " + ec.message();
    return false;
  }
  d.bound_port = d.acceptor.local_endpoint().port();
  d.workers = std::make_unique<worker_pool>(std::max<size_t>(1, d.opts.worker_threads), d.opts.worker_queue);
  d.work.emplace(d.ioc.get_executor());
  d.do_accept();
  for (size_t i = 0; i < std::max<size_t>(1, d.opts.io_threads); ++i) d.io_threads.emplace_back([&d] { d.ioc.run(); });
  d.log->info("{} listening on {}:{}", d.opts.service, d.opts.bind_address, d.bound_port);
  return true;
}

void server::stop() {
  auto& d = *impl_;
  if (d.io_threads.empty() || d.stopping.exchange(true)) return;
  asio::post(d.ioc, [&d] {
    beast::error_code ec;
    d.acceptor.close(ec);
  });
  // Let in-flight requests finish and their responses go out.
  auto deadline = clock::now() + d.opts.shutdown_grace;
  while (d.inflight > 0 && clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    std::lock_guard lk(d.sessions_mu);
    for (auto& w : d.sessions)
      if (auto s = w.lock()) asio::post(s->stream.get_executor(), [s] { s->close(); });
  }
  d.workers->shutdown();
  d.work.reset();
  d.ioc.stop();
  for (auto& t : d.io_threads) t.join();
  d.io_threads.clear();
  {
    std::lock_guard lk(d.sessions_mu);
    d.sessions.clear();
  }
  d.log->info("{} stopped", d.opts.service);
}

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

std::unique_ptr<server> start_metrics_server(const std::string& service, const std::string& host, uint16_t port,
                                             std::function<std::string()> collector, std::string* error) {
  server_options so;
  so.service = service;
  so.bind_address = host;
  so.port = port;
  so.worker_threads = 1;
  so.worker_queue = 16;
  auto srv = std::make_unique<server>(so, router{});
  srv->metrics().add_collector(std::move(collector));
  std::string e;
  if (!srv->start(&e)) {
    if (error) *error = "metrics port " + host + ":" + std::to_string(port) + ": " + e;
    return nullptr;
  }
  return srv;
}

}  // namespace mq::http
