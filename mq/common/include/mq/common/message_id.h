// Message ids (rocketmq-protocol.md §4.5).
//
//  offsetMsgId (broker-assigned; MessageExt.msgId on the consumer side):
//    uppercase hex of STOREHOST ip (4|16 bytes) + int32 port + int64
//    PHYSICALOFFSET: 32 hex chars for IPv4, 56 for IPv6. Clients turn it
//    back into (broker address, commit-log offset).
//  UNIQ_KEY (client-generated, property UNIQ_KEY; Java's SendResult.msgId):
//    uppercase hex of ip (4|16) + int16 pid + int32 per-process random value
//    (Java: the class loader's hashCode) + int32 ms since the start of the
//    current month (local time) + int16 counter: 32 hex chars for IPv4. The
//    broker treats it as an opaque string.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq {

// Example: 10.0.0.5:10911 at offset 8000 -> "0A00000500002A9F0000000000001F40".
std::string encode_offset_msg_id(const socket_address& store_host, int64_t commit_log_offset);
// Java MessageDecoder.decodeMessageId: 32 hex chars = IPv4, 56 = IPv6; any
// other length or a non-hex char is invalid_argument. Either hex case is
// accepted.
result<std::pair<socket_address, int64_t>> decode_offset_msg_id(std::string_view id);

// Uppercase hex of raw bytes.
std::string to_hex_upper(std::string_view bytes);

// Generates UNIQ_KEYs.
// Thread-safe (one mutex around the time/counter state). Ids are strictly
// unique for the generator's lifetime: the (time, counter) pair never
// repeats. The counter restarts at 0 each new millisecond; 65536 ids in one
// millisecond move the time part on by one instead of wrapping, and a clock
// that steps back (or a new month starting) does not move the time part back
// (so after a month boundary it stays at the last value until the clock
// passes it; Java's getNearlyTimeFromID then reads a time before the real
// one, which keeps queryMsgByUniqueKey's time window correct).
// Use one generator per process (its random part is drawn per generator).
class unique_id_generator {
 public:
  using clock_fn = int64_t (*)();  // ms since the epoch

  explicit unique_id_generator(const socket_address& local = local_address());
  // For tests: a fake wall clock.
  unique_id_generator(const socket_address& local, clock_fn clock);

  std::string next();

  // The first non-loopback IPv4 address of this host, else 127.0.0.1 (port 0).
  static socket_address local_address();

 private:
  clock_fn clock_;
  std::string prefix_hex_;  // ip + pid + random: fixed per generator
  std::mutex mu_;
  int64_t month_start_ms_ = 0;  // GUARDED_BY(mu_)
  int64_t next_month_ms_ = 0;   // GUARDED_BY(mu_)
  int64_t last_time_ = -1;      // GUARDED_BY(mu_) ms since month_start_ms_ last used
  uint32_t counter_ = 0;        // GUARDED_BY(mu_) next counter for last_time_
};

}  // namespace mq
