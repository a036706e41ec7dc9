// CRC32 as RocketMQ computes it (UtilAll.crc32, rocketmq-protocol.md §4.8):
// standard CRC-32 (zlib / java.util.zip.CRC32) masked with 0x7FFFFFFF, so
// never negative. Used for BODYCRC (over the stored, possibly compressed
// body), REGISTER_BROKER's bodyCrc32 and recovery checks. Thread-safe.
// Check value: "123456789" -> 0xCBF43926 & 0x7FFFFFFF = 0x4BF43926.
#pragma once

#include <cstdint>
#include <string_view>

namespace mq {

int32_t rocketmq_crc32(std::string_view data);

}  // namespace mq
