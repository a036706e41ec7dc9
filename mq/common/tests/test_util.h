// Byte-level helpers for mq/common tests: golden vectors are typed in as hex
// with spaces and '|' as field separators, and decoders are fed truncated and
// corrupted copies.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mq::test {

// "0A 00|00 05" -> bytes. Spaces and '|' are ignored; anything else that is
// not hex is a bug in the test.
inline std::string unhex(std::string_view h) {
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("bad hex in test vector");
  };
  std::string out;
  int hi = -1;
  for (char c : h) {
    if (c == ' ' || c == '|' || c == '\n') continue;
    if (hi < 0) {
      hi = v(c);
    } else {
      out.push_back(static_cast<char>(hi * 16 + v(c)));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd hex digit count in test vector");
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

// A copy of `s` with byte `i` XOR-ed with `mask`.
inline std::string flip(std::string s, size_t i, uint8_t mask = 0x01) {
  s[i] = static_cast<char>(static_cast<uint8_t>(s[i]) ^ mask);
  return s;
}

}  // namespace mq::test
