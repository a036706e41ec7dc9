// Message (what a producer sends) and message_ext (what the store holds and
// a consumer receives), RocketMQ's Message / MessageExt.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mq {

// An IPv4 or IPv6 address with a port (born host / store host).
struct socket_address {
  std::array<uint8_t, 16> ip{};  // IPv4 uses the first 4 bytes
  bool v6 = false;
  uint16_t port = 0;

  static socket_address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
  // "1.2.3.4:10911" or "[::1]:10911"; IPv4-mapped IPv6 becomes IPv4.
  static std::optional<socket_address> parse(std::string_view text);
  std::string to_string() const;
  size_t ip_size() const { return v6 ? 16 : 4; }
  bool operator==(const socket_address&) const = default;
};

struct message {
  std::string topic;
  int32_t flag = 0;
  std::map<std::string, std::string> properties;
  std::string body;

  const std::string* property(std::string_view key) const;
  void put_property(std::string key, std::string value) { properties[std::move(key)] = std::move(value); }
  void remove_property(std::string_view key);

  std::string tags() const;
  void set_tags(std::string tags);
  // KEYS is a space-separated list.
  std::vector<std::string> keys() const;
  void set_keys(const std::vector<std::string>& keys);
  int delay_level() const;  // 0 when absent or malformed
  void set_delay_level(int level);
  bool wait_store_msg_ok() const;  // absent = true
};

struct message_ext : message {
  int32_t queue_id = 0;
  int32_t store_size = 0;
  int64_t queue_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  socket_address born_host;
  int64_t store_timestamp = 0;
  socket_address store_host;
  std::string msg_id;  // offsetMsgId (decoders fill it in)
  int64_t commit_log_offset = 0;
  int32_t body_crc = 0;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
};

}  // namespace mq
