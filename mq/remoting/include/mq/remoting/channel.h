// A remoting connection as seen by processors and callers: either a client
// connection accepted by remoting_server, or a connection remoting_client
// opened. Both directions are full duplex: either side can send requests,
// and frames are routed by their RESPONSE bit.
//
// Thread-safety: every member may be called from any thread. Writes are
// serialized per connection and keep their submission order.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mq/remoting/remoting_command.h"

namespace mq::remoting {

// Errors of the transport (kept apart from RocketMQ response codes: a
// response with a non-zero code is still a successful invoke).
enum class errc {
  ok = 0,
  timeout,          // no response within the timeout
  connect_failed,   // could not resolve / connect
  closed,           // the connection closed before the response arrived
  write_queue_full, // the connection's bounded write queue is full
  shutting_down,    // the owner is stopping
};
const char* to_string(errc e);

struct invoke_result {
  errc error = errc::ok;
  std::string message;        // details for errors
  remoting_command response;  // valid when ok()
  bool ok() const { return error == errc::ok; }
};

using invoke_callback = std::function<void(invoke_result)>;

class channel;
using channel_ptr = std::shared_ptr<channel>;

class channel {
 public:
  virtual ~channel() = default;

  // Process-unique id and "ip:port" of the peer.
  virtual uint64_t id() const = 0;
  virtual const std::string& remote_address() const = 0;
  virtual bool is_open() const = 0;

  // Queue a command (typically a response) for writing. False when the
  // channel is closed or its write queue is full (the command is dropped).
  virtual bool send(remoting_command cmd) = 0;

  // Send a request and get its response; the opaque is assigned here.
  // Callbacks run on an io thread: do not block in them.
  virtual void invoke_async(remoting_command req, std::chrono::milliseconds timeout,
                            invoke_callback cb) = 0;
  // Blocks the calling thread; never call it from an io thread.
  virtual invoke_result invoke_sync(remoting_command req, std::chrono::milliseconds timeout) = 0;
  // Sets the ONEWAY flag; no response is expected.
  virtual errc invoke_oneway(remoting_command req) = 0;

  // Close now; pending invokes fail with errc::closed.
  virtual void close() = 0;
};

// A request processor. It runs on the executor it was registered with.
// Return the response to send, or std::nullopt to answer later through
// `ch->send(...)` (long polling) or not at all (oneway requests; a response
// returned for a oneway request is dropped).
using processor_fn =
    std::function<std::optional<remoting_command>(const channel_ptr& ch, remoting_command& request)>;

}  // namespace mq::remoting
