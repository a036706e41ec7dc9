// Message (what a producer sends) and message_ext (what the store holds and
// a consumer receives): RocketMQ's Message / MessageExt as plain values.
// Properties are kept as a map and serialized with properties.h; the body is
// opaque bytes (compressed when sys_flag has 0x1). No hidden state: copying
// is cheap enough and objects are not shared between threads.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mq {

// An IPv4 or IPv6 address with a port: the born host and store host of a
// record (§4.1), and broker addresses.
struct socket_address {
  std::array<uint8_t, 16> ip{};  // network order; IPv4 uses the first 4 bytes, the rest stay 0
  bool v6 = false;
  uint16_t port = 0;

  static socket_address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
  // "1.2.3.4:10911" or "[::1]:10911" (numeric addresses only, no names).
  // An IPv4-mapped IPv6 address ([::ffff:1.2.3.4]) becomes IPv4, so that
  // records keep 4-byte hosts for clients that only read those (§4.1).
  static std::optional<socket_address> parse(std::string_view text);
  // The inverse of parse: "1.2.3.4:10911", "[2001:db8::1]:10911".
  std::string to_string() const;
  size_t ip_size() const { return v6 ? 16 : 4; }
  bool operator==(const socket_address&) const = default;
};

struct message {
  std::string topic;
  int32_t flag = 0;  // the producer's user flag, stored as is
  std::map<std::string, std::string> properties;
  std::string body;

  // Property access; `property` returns nullptr when absent.
  const std::string* property(std::string_view key) const;
  void put_property(std::string key, std::string value) { properties[std::move(key)] = std::move(value); }
  void remove_property(std::string_view key);

  // TAGS; "" when absent.
  std::string tags() const;
  void set_tags(std::string tags);
  // KEYS is a space-separated list; empty items are dropped (as the index
  // service drops them).
  std::vector<std::string> keys() const;
  void set_keys(const std::vector<std::string>& keys);
  // DELAY: 0 when absent or not a non-negative integer.
  int delay_level() const;
  void set_delay_level(int level);
  // WAIT: absent means true, else Java's Boolean.parseBoolean ("true" in
  // any case is true, anything else false).
  bool wait_store_msg_ok() const;
  void set_wait_store_msg_ok(bool wait);
};

struct message_ext : message {
  int32_t queue_id = 0;
  int32_t store_size = 0;  // TOTALSIZE of the record (decoders fill it in)
  int64_t queue_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;  // ms since the epoch
  socket_address born_host;
  int64_t store_timestamp = 0;  // ms since the epoch
  socket_address store_host;
  std::string msg_id;             // offsetMsgId of store_host + commit_log_offset (decoders fill it in)
  int64_t commit_log_offset = 0;  // PHYSICALOFFSET
  int32_t body_crc = 0;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
};

}  // namespace mq
