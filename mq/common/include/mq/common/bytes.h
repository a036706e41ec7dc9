// Big-endian (network order, Java ByteBuffer default) byte helpers.
// std::string is the byte buffer everywhere in mq/. Header-only, no state
// shared between objects; a byte_reader is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mq {

// Append `v` to `s`, most significant byte first.
inline void put_i8(std::string& s, int8_t v) {
  s.push_back(static_cast<char>(v));
}
inline void put_i16(std::string& s, int16_t v) {
  auto u = static_cast<uint16_t>(v);
  s.push_back(static_cast<char>(u >> 8));
  s.push_back(static_cast<char>(u & 0xFF));
}
inline void put_i32(std::string& s, int32_t v) {
  auto u = static_cast<uint32_t>(v);
  for (int sh = 24; sh >= 0; sh -= 8) s.push_back(static_cast<char>((u >> sh) & 0xFF));
}
inline void put_i64(std::string& s, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int sh = 56; sh >= 0; sh -= 8) s.push_back(static_cast<char>((u >> sh) & 0xFF));
}

// Bounds-checked big-endian reader over a view (which must outlive it).
// A read that does not fit consumes nothing, returns 0 / an empty view and
// sets !ok(); once failed every later read fails too, so a decoder can read
// a whole header and test ok() once. Never reads out of bounds, never throws.
class byte_reader {
 public:
  explicit byte_reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }

  int8_t read_i8() { return static_cast<int8_t>(read_u(1)); }
  int16_t read_i16() { return static_cast<int16_t>(read_u(2)); }
  int32_t read_i32() { return static_cast<int32_t>(read_u(4)); }
  int64_t read_i64() { return static_cast<int64_t>(read_u(8)); }
  // The next `n` bytes, as a view into the input.
  std::string_view read_bytes(size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return {};
    }
    auto v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  uint64_t read_u(size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(in_[pos_ + i]);
    pos_ += n;
    return v;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace mq
