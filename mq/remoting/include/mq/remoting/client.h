// The remoting TCP client (Asio underneath; no Asio in this header).
//
// One connection per address, opened on first use and re-opened on the next
// use after it closed. Responses are matched by opaque; a sweeper fails
// requests whose timeout passed. Requests the server starts
// (CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED,
// GET_CONSUMER_RUNNING_INFO, ...) go to processors registered here.
//
// Thread-safety: all members may be called from any thread, except that
// invoke_sync must not be called from an io thread (a callback).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "mq/remoting/channel.h"
#include "mq/remoting/executor.h"
#include "mq/remoting/frame.h"

namespace mq::remoting {

struct client_options {
  size_t io_threads = 1;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(3);
  size_t max_frame_size = default_max_frame_size;
  size_t write_queue_soft_limit = 8 * 1024 * 1024;
  // Past the soft limit a connection stops reading requests until the peer
  // drains it. The hard limit refuses new requests/oneways we originate;
  // responses to requests already read are never dropped.
  size_t write_queue_hard_limit = 64 * 1024 * 1024;
  // Requests read from one connection and not yet processed; at this many
  // the connection stops reading (the peer's requests wait in TCP buffers).
  size_t max_inflight_requests = 256;
  // Close connections idle for this long (0 = never).
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(0);
  std::string name = "remoting-client";
};

class remoting_client {
 public:
  explicit remoting_client(client_options opts = {});
  ~remoting_client();  // shutdown()

  remoting_client(const remoting_client&) = delete;
  remoting_client& operator=(const remoting_client&) = delete;

  // Processors for server-initiated requests. Register before first use.
  void register_processor(int32_t code, processor_fn fn, std::shared_ptr<bounded_executor> pool);

  // `addr` is "host:port". The request's opaque is assigned by the client.
  invoke_result invoke_sync(const std::string& addr, remoting_command req,
                            std::chrono::milliseconds timeout);
  void invoke_async(const std::string& addr, remoting_command req, std::chrono::milliseconds timeout,
                    invoke_callback cb);
  errc invoke_oneway(const std::string& addr, remoting_command req);

  // The connection to `addr` (opened if needed); nullptr after shutdown.
  channel_ptr get_channel(const std::string& addr);
  // An extra connection to the same address: slot 0 is the one above, other
  // slots are separate TCP connections sharing this client's io threads
  // (load generators that want many connections without a thread each).
  channel_ptr get_channel(const std::string& addr, size_t slot);
  void close_channel(const std::string& addr);

  // Close every connection (pending invokes fail with errc::closed or
  // shutting_down) and join the io threads. Idempotent.
  void shutdown();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mq::remoting
