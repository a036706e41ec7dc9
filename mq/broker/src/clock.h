// The broker's two clocks, in milliseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace mq::broker {

// Wall clock (timestamps that leave the process: data versions, heartbeats).
inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
// Monotonic (deadlines, intervals, lock expiry).
inline int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace mq::broker
