// An HTTP/1.1 server on Boost.Beast (Beast stays in server.cc).
//
//  * keep-alive; one request at a time per connection;
//  * request body limit (1 MiB default → 413), header limit 16 KiB, read
//    timeout (a slow or silent client is dropped) and write timeout;
//  * handlers run on a bounded worker pool, never on the io threads, so a
//    handler may block on PostgreSQL; a full pool answers 503 at once; the
//    worker sends the response itself and starts the next read (no hop back
//    to an io thread);
//  * built-in GET /healthz (alive), GET /readyz (the readiness checks; 503
//    when one fails; ?verbose names them), GET /metrics (Prometheus text);
//  * an access-log line per request (method, target, status, latency, peer);
//  * stop(): stop accepting, let in-flight requests finish (up to a grace
//    period), close idle connections, join the threads.
//
// Error bodies (404, 405, 413, 500, 503) come from `error_body`, so a
// service can answer them in its own envelope (the shop's Result).
//
// Thread-safety: configure before start(); stop() from any thread but a
// handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mq/http/message.h"
#include "mq/http/metrics.h"
#include "mq/http/router.h"

namespace mq::http {

struct server_options {
  std::string service = "service";  // logger name, Server header, metrics' service label
  std::string metrics_prefix;       // of the built-in metric names ("shop_" for the shop)
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0 = any free port (see server::port())
  size_t io_threads = 1;
  size_t worker_threads = 8;
  size_t worker_queue = 1024;  // requests waiting for a worker; beyond → 503
  size_t body_limit = 1024 * 1024;
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);  // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(10);
};

// (status, message) -> body for errors the server itself produces.
using error_body_fn = std::function<std::string(int status, const std::string& message)>;
// A named readiness check: true when the dependency answers.
using ready_check = std::pair<std::string, std::function<bool()>>;

class server {
 public:
  server(server_options opts, router routes);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  void set_error_body(error_body_fn fn);
  void add_ready_check(std::string name, std::function<bool()> check);
  http::metrics& metrics();

  // Binds and starts the io and worker threads. False and *error on failure
  // (port in use, bad address).
  bool start(std::string* error = nullptr);
  uint16_t port() const;
  void stop();

 private:
  struct impl;
  friend struct session;
  std::shared_ptr<impl> impl_;
};

// A Prometheus endpoint on host:port: the built-ins only (/metrics,
// /healthz, /readyz), one worker, `collector`'s text appended to every
// scrape. nullptr and *error when the port cannot be bound.
std::unique_ptr<server> start_metrics_server(const std::string& service, const std::string& host, uint16_t port,
                                             std::function<std::string()> collector, std::string* error);

// Blocks SIGTERM/SIGINT in the calling thread (call first in main, before
// any thread starts) and ignores SIGPIPE.
void block_stop_signals();
// Waits for SIGTERM or SIGINT; returns the signal number.
int wait_for_stop_signal();

}  // namespace mq::http
