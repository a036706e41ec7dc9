// Private big-endian helpers for raw pointers into mapped files.
#pragma once

#include <cstdint>

namespace mq::store {

inline int64_t get_i64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<int64_t>(v);
}
inline int32_t get_i32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<int32_t>(v);
}
inline void put_i64(char* p, int64_t x) {
  auto v = static_cast<uint64_t>(x);
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
}
inline void put_i32(char* p, int32_t x) {
  auto v = static_cast<uint32_t>(x);
  for (int i = 3; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
}

}  // namespace mq::store
