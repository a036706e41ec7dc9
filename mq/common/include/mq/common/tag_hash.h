// Tag hash / tagsCode (rocketmq-protocol.md §4.4): Java String.hashCode over
// the UTF-16 code units of the text (h = 31*h + unit, int32 wrap-around),
// i.e. the hash the Java broker computes for `new String(bytes, UTF_8)`.
// The broker stores tagsCode in the consume queue; subscriptions compare
// hash(tag) with it. Also the key hash of the IndexFile (§5.3).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace mq {

// `utf8` is decoded as the JDK decodes UTF-8 (checked against OpenJDK 17 on
// random input) and hashed as UTF-16: code points above U+FFFF count as
// their surrogate pair; malformed bytes count as U+FFFD with Java's grouping
// (a maximal valid prefix is one U+FFFD; a 3-byte encoded surrogate is one
// U+FFFD; a sequence cut off by the end of the input is one U+FFFD).
// Examples: "TagA" 2598919, "*" 42, "null" 3392903, "订单" 1129459.
int32_t java_string_hash(std::string_view utf8);

// tagsCode as stored in the consume queue: the hash sign-extended to int64.
inline int64_t tags_code(std::string_view tags) {
  return static_cast<int64_t>(java_string_hash(tags));
}

}  // namespace mq
