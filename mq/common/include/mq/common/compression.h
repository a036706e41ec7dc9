// Body compression (rocketmq-protocol.md §4.6): zlib deflate with the 2-byte
// zlib header and adler32 trailer, as java.util.zip.Deflater / Inflater and
// ali-ons's zlib.deflateSync write and read it. Properties are never
// compressed; the broker never needs to decompress (BODYCRC is over the
// compressed bytes). Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq {

// The producer's compressMsgBodyOverHowmuch and Java's default level.
inline constexpr size_t default_compress_threshold = 4096;
inline constexpr int default_compress_level = 5;

// zlib stream of `data` at `level` (0..9, or -1 for zlib's default). Returns
// "" only on failure (a bad level); any real stream is at least 8 bytes.
std::string zlib_compress(std::string_view data, int level = default_compress_level);

// Inflates one zlib stream (bytes after its end are ignored, as Inflater
// does). Errors: corrupt or truncated input (corrupt); output that would
// exceed `max_out` bytes (too_large) — checked as it inflates, so a zip bomb
// costs at most `max_out` bytes of memory.
result<std::string> zlib_uncompress(std::string_view data, size_t max_out);

// Producer side: when m.body is at least `threshold` bytes, replaces it with
// its zlib stream and returns the SYSFLAG bits to OR in, else leaves it and
// returns 0. The bits are 0x1 (COMPRESSED) with compression-type bits 8–10
// left 0: every 4.x consumer reads "0x1 with type 0" as zlib, while the
// explicit 0x300 (ZLIB) is only understood by 4.9.4+ clients. Batches are
// never compressed (§4.6); that is the caller's rule.
int32_t maybe_compress(message& m, size_t threshold = default_compress_threshold);

}  // namespace mq
