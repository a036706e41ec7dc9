// CRC32 as RocketMQ computes it (UtilAll.crc32, rocketmq-protocol.md §4.8):
// standard CRC-32 (zlib / java.util.zip.CRC32) masked with 0x7FFFFFFF.
#pragma once

#include <cstdint>
#include <string_view>

namespace mq {

int32_t rocketmq_crc32(std::string_view data);

}  // namespace mq
