// Tag hash / tagsCode (rocketmq-protocol.md §4.4): Java String.hashCode over
// the UTF-16 code units of the text (h = 31*h + c, int32 wrap-around).
#pragma once

#include <cstdint>
#include <string_view>

namespace mq {

// `utf8` is decoded to code points and re-encoded as UTF-16 (surrogate pairs
// above U+FFFF). Malformed UTF-8 bytes count as U+FFFD, as Java's decoder
// replaces them.
int32_t java_string_hash(std::string_view utf8);

// tagsCode as stored in the consume queue: the hash sign-extended.
inline int64_t tags_code(std::string_view tags) { return static_cast<int64_t>(java_string_hash(tags)); }

}  // namespace mq
