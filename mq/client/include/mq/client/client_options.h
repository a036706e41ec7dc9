// Options and value types shared by every mq/client object (RocketMQ's
// ClientConfig, MessageQueue), and the module's error values.
//
// Defaults follow the Java 4.x client (rocketmq-protocol.md §6.10) unless a
// comment says otherwise. Durations are std::chrono types.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <tuple>

#include "mq/common/result.h"

namespace mq::client {

using namespace std::chrono_literals;

struct client_options {
  // "host:port[;host:port…]". Required.
  std::string namesrv_addr;
  // Part of the client id (clientIP@instanceName). Empty: "<pid>#<n>",
  // unique per client object, so several consumers of one group can live in
  // one process. Broadcasting consumers should set it: it also names their
  // local offset file, which must stay the same across restarts.
  std::string instance_name;
  // The IP put in the client id; empty = this host's first non-loopback IPv4.
  std::string client_ip;
  std::chrono::milliseconds poll_name_server_interval = 30s;
  std::chrono::milliseconds heartbeat_broker_interval = 30s;
  std::chrono::milliseconds persist_consumer_offset_interval = 5s;
  // Timeout of name-server and broker bookkeeping calls (route, heartbeat,
  // offsets, locks).
  std::chrono::milliseconds request_timeout = 3s;
};

// One queue of a topic on one broker group (Java MessageQueue). Ordered by
// (topic, broker_name, queue_id), the order rebalancing sorts in.
struct message_queue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;

  auto operator<=>(const message_queue&) const = default;
  bool operator==(const message_queue&) const = default;
  // "MessageQueue [topic=t, brokerName=b, queueId=0]" (Java's toString).
  std::string to_string() const;
};

}  // namespace mq::client
