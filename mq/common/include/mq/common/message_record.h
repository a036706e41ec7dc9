// The store / pull message record (rocketmq-protocol.md §4.1,
// docs/format/commitlog.md): the byte layout of the CommitLog, of PULL,
// QUERY_MESSAGE and VIEW_MESSAGE_BY_ID bodies, of CHECK_TRANSACTION_STATE
// bodies and of HA replication. All integers big-endian.
//
//   TOTALSIZE i32 | MAGICCODE i32 | BODYCRC i32 | QUEUEID i32 | FLAG i32 |
//   QUEUEOFFSET i64 | PHYSICALOFFSET i64 | SYSFLAG i32 | BORNTIMESTAMP i64 |
//   BORNHOST ip(4|16)+i32 port | STORETIMESTAMP i64 | STOREHOST ip(4|16)+i32 |
//   RECONSUMETIMES i32 | PREPARED TRANSACTION OFFSET i64 |
//   BODYLENGTH i32 + body | TOPICLENGTH i8 + topic | PROPERTIESLENGTH i16 + props
//
// Only the v1 layout (magic 0xDAA320A7) exists in 4.x and is the only one
// written or read; the host widths follow SYSFLAG 0x10 (born) / 0x20 (store).
//
// Everything here is a pure function of its arguments and thread-safe. The
// decoders never read outside their input whatever it holds (they are fuzzed,
// mq/fuzz/fuzz_record_decoder.cc) and report bad input as errc::corrupt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mq/common/message.h"
#include "mq/common/message_const.h"
#include "mq/common/result.h"

namespace mq {

// Fixed byte positions (the same for IPv4 and IPv6 hosts). The positions
// after BORNHOST depend on the host widths: see record_view.
namespace record_pos {
inline constexpr size_t total_size = 0;
inline constexpr size_t magic = 4;
inline constexpr size_t body_crc = 8;
inline constexpr size_t queue_id = 12;
inline constexpr size_t flag = 16;
inline constexpr size_t queue_offset = 20;
inline constexpr size_t physical_offset = 28;
inline constexpr size_t sys_flag = 36;
inline constexpr size_t born_timestamp = 40;
inline constexpr size_t born_host = 48;
}  // namespace record_pos

// Size of a record with both hosts IPv4 and empty body, topic and properties.
inline constexpr size_t record_base_size = 91;
// Extra bytes per IPv6 host (16-byte instead of 4-byte address).
inline constexpr size_t record_ipv6_host_extra = 12;

// Size of the record encode_record writes for `m` when its encoded properties
// string is `properties_size` bytes: 91 + body + topic + properties + 12 per
// IPv6 host.
size_t record_size(const message_ext& m, size_t properties_size);
// The same, encoding m.properties to learn their size.
size_t record_size(const message_ext& m);

// Encodes `m` as one record. Writes m.body_crc as BODYCRC as is (whoever
// stores the record sets it to rocketmq_crc32(body)), m.commit_log_offset as
// PHYSICALOFFSET and the properties map with encode_properties. SYSFLAG is
// m.sys_flag with bits 0x10 / 0x20 replaced according to m.born_host.v6 /
// m.store_host.v6. m.store_size and m.msg_id are ignored.
// Errors: topic longer than 127 bytes (invalid_argument), properties longer
// than 32767 bytes or a record over 2 GiB (too_large).
result<std::string> encode_record(const message_ext& m);

// A zero-copy parse of the record at the start of `in`, for the store and for
// anything that only peeks at a few fields. `topic`, `properties` and `body`
// point into `in` and live as long as it does.
struct record_view {
  int32_t total_size = 0;
  uint32_t magic = 0;  // message_magic_code, or blank_magic_code (see below)
  int32_t body_crc = 0;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  socket_address born_host;
  int64_t store_timestamp = 0;
  socket_address store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;

  // Byte offsets from the start of the record of the fields that move with
  // the host widths (IPv4 hosts: 56, 64, 72, 76, 84, 88).
  size_t store_timestamp_pos = 0;
  size_t store_host_pos = 0;
  size_t reconsume_times_pos = 0;
  size_t prepared_transaction_offset_pos = 0;
  size_t body_length_pos = 0;
  size_t body_pos = 0;  // first body byte
  size_t topic_length_pos = 0;
  size_t properties_length_pos = 0;

  std::string_view body;
  std::string_view topic;
  std::string_view properties;  // the raw k\x01v\x02... string

  // End-of-file filler (§5.1): only total_size and magic are set.
  bool is_blank() const { return magic == blank_magic_code; }
};

// Parses the record at the start of `in` (which may extend beyond it).
//  * A BLANK record (magic 0xCBD43194) parses successfully with only
//    total_size and magic set; it needs 8 <= TOTALSIZE <= in.size().
//  * A message record needs TOTALSIZE within `in`, every length
//    non-negative and within the record, the fields to end exactly at
//    TOTALSIZE, and with `check_crc` BODYCRC == rocketmq_crc32(body).
//  * Anything else (unknown magic, including 5.x's v2 0xDAA320AB) is corrupt.
result<record_view> parse_record_view(std::string_view in, bool check_crc = false);

// Decodes one message record at the start of `in` with the checks of
// parse_record_view (a BLANK record is an error here). msg_id is the
// offsetMsgId of store host + PHYSICALOFFSET, store_size is TOTALSIZE and
// *consumed (when given) is TOTALSIZE.
result<message_ext> decode_record(std::string_view in, bool check_crc, size_t* consumed = nullptr);

// A PULL / QUERY_MESSAGE body: records back to back until `in` is used up
// (Java MessageDecoder.decodes). Any bad record fails the whole body; an
// empty body is an empty vector.
result<std::vector<message_ext>> decode_records(std::string_view in, bool check_crc = false);

}  // namespace mq
