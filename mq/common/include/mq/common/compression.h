// Body compression (rocketmq-protocol.md §4.6): zlib deflate with the 2-byte
// zlib header, as java.util.zip.Deflater writes it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq {

std::string zlib_compress(std::string_view data, int level = 5);
// Fails on corrupt input, or when the output would exceed `max_out` (a
// zip bomb is an error, not an allocation).
result<std::string> zlib_uncompress(std::string_view data, size_t max_out);

// Compress m.body when it is at least `threshold` bytes (the producer's
// compressMsgBodyOverHowmuch, 4096). Returns the sysFlag bits to add: 0x1
// (COMPRESSED) with type bits 0, which every 4.x consumer reads as zlib.
int32_t maybe_compress(message& m, size_t threshold = 4096);

}  // namespace mq
