#include "mq/common/tag_hash.h"

namespace mq {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

bool is_continuation(unsigned b) {
  return (b & 0xC0) == 0x80;
}

// Java's isMalformed3_2 / isMalformed4_2: is b2 impossible after lead b1?
bool malformed3_2(unsigned b1, unsigned b2) {
  return (b1 == 0xE0 && (b2 & 0xE0) == 0x80) || !is_continuation(b2);
}
bool malformed4_2(unsigned b1, unsigned b2) {
  return (b1 == 0xF0 && (b2 < 0x90 || b2 > 0xBF)) || (b1 == 0xF4 && (b2 & 0xF0) != 0x80) ||
         !is_continuation(b2);
}

}  // namespace

// A port of the JDK's UTF-8 decoder (String.decodeUTF8_UTF16 in JDK 17,
// UTF_8.Decoder.decode in JDK 8) with REPLACE, hashing the UTF-16 units as
// they are produced. The replacement rules are Java's own, including its
// quirks: a 3-byte encoded surrogate is one U+FFFD, and a sequence cut off by
// the end of the input is one U+FFFD.
int32_t java_string_hash(std::string_view s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = h * 31u + unit; };
  const size_t n = s.size();
  auto at = [&s](size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
  size_t i = 0;
  while (i < n) {
    const unsigned b1 = at(i++);
    if (b1 < 0x80) {
      add(b1);
    } else if (b1 >= 0xC2 && b1 <= 0xDF) {
      if (i >= n) {
        add(kReplacement);
        break;
      }
      const unsigned b2 = at(i);
      if (!is_continuation(b2)) {
        add(kReplacement);  // b2 is decoded on its own next
      } else {
        ++i;
        add(((b1 & 0x1Fu) << 6) | (b2 & 0x3Fu));
      }
    } else if (b1 >= 0xE0 && b1 <= 0xEF) {
      if (i + 1 < n) {
        const unsigned b2 = at(i), b3 = at(i + 1);
        if (malformed3_2(b1, b2)) {
          add(kReplacement);  // only b1 is consumed
        } else if (!is_continuation(b3)) {
          add(kReplacement);  // b1 b2 are consumed
          ++i;
        } else {
          i += 2;
          const uint32_t c = ((b1 & 0x0Fu) << 12) | ((b2 & 0x3Fu) << 6) | (b3 & 0x3Fu);
          add(c >= 0xD800 && c <= 0xDFFF ? kReplacement : c);
        }
        continue;
      }
      add(kReplacement);
      if (i < n && malformed3_2(b1, at(i))) continue;
      break;  // b1 [b2] cut off by the end: one U+FFFD
    } else if (b1 >= 0xF0 && b1 <= 0xF7) {
      if (i + 2 < n) {
        const unsigned b2 = at(i), b3 = at(i + 1), b4 = at(i + 2);
        const uint32_t uc = ((b1 & 0x07u) << 18) | ((b2 & 0x3Fu) << 12) | ((b3 & 0x3Fu) << 6) | (b4 & 0x3Fu);
        if (!is_continuation(b2) || !is_continuation(b3) || !is_continuation(b4) || uc < 0x10000 ||
            uc > 0x10FFFF) {
          add(kReplacement);
          // Java's malformed4: how many bytes the U+FFFD stands for.
          if (b1 > 0xF4 || malformed4_2(b1, b2)) continue;
          i += is_continuation(b3) ? 2 : 1;
        } else {
          i += 3;
          const uint32_t v = uc - 0x10000;
          add(0xD800u + (v >> 10));
          add(0xDC00u + (v & 0x3FFu));
        }
        continue;
      }
      add(kReplacement);
      if (b1 > 0xF4 || (i < n && malformed4_2(b1, at(i)))) continue;
      ++i;  // b2 (when present) belongs to the cut-off sequence
      if (i < n && !is_continuation(at(i))) continue;
      break;
    } else {
      add(kReplacement);  // 0x80..0xC1, 0xF8..0xFF
    }
  }
  return static_cast<int32_t>(h);
}

}  // namespace mq
