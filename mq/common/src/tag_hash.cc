#include "mq/common/tag_hash.h"

namespace mq {

int32_t java_string_hash(std::string_view s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = h * 31u + unit; };
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto b0 = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (b0 < 0x80) {
      cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
    } else {
      len = 0;  // invalid lead byte
    }
    if (len >= 2) {
      bool ok = i + len <= n;
      uint32_t v = len == 2 ? (b0 & 0x1Fu) : len == 3 ? (b0 & 0x0Fu) : (b0 & 0x07u);
      for (size_t k = 1; ok && k < len; ++k) {
        auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        v = (v << 6) | (b & 0x3Fu);
      }
      // Reject overlong forms, surrogates and values above U+10FFFF.
      if (ok && ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
                 (v >= 0xD800 && v <= 0xDFFF))) {
        ok = false;
      }
      if (ok) {
        cp = v;
      } else {
        len = 1;  // replace one byte and resynchronize
        cp = 0xFFFD;
      }
    } else if (len == 0) {
      len = 1;
      cp = 0xFFFD;
    }
    if (cp >= 0x10000) {
      uint32_t v = cp - 0x10000;
      add(0xD800u + (v >> 10));
      add(0xDC00u + (v & 0x3FFu));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

}  // namespace mq
