// The remoting TCP server (Asio underneath; no Asio in this header).
//
// Request processors are registered per request code, each bound to a
// bounded_executor; a full executor answers SYSTEM_BUSY. Unknown codes
// answer REQUEST_CODE_NOT_SUPPORTED. A malformed frame (bad length, frame over
// max_frame_size, header that does not parse) closes only that connection.
// Each connection's writes are ordered and bounded: past
// `write_queue_soft_limit` bytes the server stops reading from that
// connection until the peer drains it, so a slow reader cannot make the
// server buffer without bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mq/remoting/channel.h"
#include "mq/remoting/executor.h"
#include "mq/remoting/frame.h"

namespace mq::remoting {

struct server_options {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 0;  // 0 = pick a free port (see remoting_server::port())
  size_t io_threads = 1;
  size_t max_frame_size = default_max_frame_size;
  // Java's serverChannelMaxIdleTimeSeconds: no read or write for this long closes.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(120);
  size_t write_queue_soft_limit = 8 * 1024 * 1024;
  // Past the soft limit a connection stops reading requests until the peer
  // drains it. The hard limit refuses new requests/oneways we originate;
  // responses to requests already read are never dropped.
  size_t write_queue_hard_limit = 64 * 1024 * 1024;
  // Requests read from one connection and not yet processed; at this many
  // the connection stops reading (the peer's requests wait in TCP buffers).
  size_t max_inflight_requests = 256;
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(5);
  std::string name = "remoting-server";  // for logs
};

class remoting_server {
 public:
  explicit remoting_server(server_options opts);
  ~remoting_server();  // stop()

  remoting_server(const remoting_server&) = delete;
  remoting_server& operator=(const remoting_server&) = delete;

  // Register before start(). The executor must outlive the server. A null
  // `pool` runs the processor inline on the io thread that read the request:
  // only for work that never blocks (it stalls every connection of that thread).
  void register_processor(int32_t code, processor_fn fn, std::shared_ptr<bounded_executor> pool);
  // Used for codes with no processor (instead of REQUEST_CODE_NOT_SUPPORTED).
  void register_default_processor(processor_fn fn, std::shared_ptr<bounded_executor> pool);
  // Called (on an io thread) when a connection closes, for any reason.
  void on_channel_closed(std::function<void(const channel_ptr&)> fn);

  // Bind and start serving. Returns false with a message on failure.
  bool start(std::string* error = nullptr);
  uint16_t port() const;

  // Graceful: stop accepting, wait (up to shutdown_grace) for in-flight
  // processors and queued writes, then close every connection. Idempotent.
  void stop();

  size_t connection_count() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mq::remoting
