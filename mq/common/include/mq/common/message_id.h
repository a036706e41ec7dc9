// Message ids (rocketmq-protocol.md §4.5).
//   offsetMsgId: uppercase hex of store ip (4|16) + int32 port + int64 offset.
//   UNIQ_KEY:    uppercase hex of ip (4|16) + int16 pid + int32 class-loader
//                hash + int32 ms since the start of this month + int16 counter.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq {

std::string encode_offset_msg_id(const socket_address& store_host, int64_t commit_log_offset);
// 32 hex chars = IPv4, 56 = IPv6; anything else or bad hex is an error.
result<std::pair<socket_address, int64_t>> decode_offset_msg_id(std::string_view id);

std::string to_hex_upper(std::string_view bytes);

// Generates UNIQ_KEYs. Thread-safe; ids are unique within the process (the
// counter never repeats within one time value: when it wraps, the time part
// moves on).
class unique_id_generator {
 public:
  explicit unique_id_generator(const socket_address& local = local_address());
  std::string next();
  static socket_address local_address();  // first non-loopback IPv4, else 127.0.0.1

 private:
  std::mutex mu_;
  std::string prefix_hex_;  // ip + pid + hash, fixed per process
  int64_t month_start_ms_ = 0;
  int64_t next_month_ms_ = 0;
  int64_t last_time_ = -1;  // GUARDED_BY(mu_)
  uint16_t counter_ = 0;    // GUARDED_BY(mu_)
};

}  // namespace mq
