// The store / pull-response message record (rocketmq-protocol.md §4.1,
// docs/format/commitlog.md). All integers big-endian; v1 layout (magic
// 0xDAA320A7); IPv4 or IPv6 hosts per sysFlag 0x10 / 0x20.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq {

// Size of the record for these fields.
size_t record_size(const message_ext& m, size_t properties_size);

// Encode `m`. The host bits of sys_flag are set from the host types; the
// BODYCRC written is m.body_crc (callers that store set it with
// rocketmq_crc32(body)). Errors: topic > 127 bytes, properties > 32767.
result<std::string> encode_record(const message_ext& m);

// Decode one record at the start of `in`. Checks magic, that TOTALSIZE
// equals the computed size and lies within `in`, every length, and with
// `check_crc` the body CRC. Never reads out of bounds. msg_id is computed
// (offsetMsgId of store host + physical offset). *consumed = TOTALSIZE.
result<message_ext> decode_record(std::string_view in, bool check_crc, size_t* consumed = nullptr);

// A pull / query body: records back to back until the input is used up.
result<std::vector<message_ext>> decode_records(std::string_view in, bool check_crc = false);

}  // namespace mq
