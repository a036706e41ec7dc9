// Field positions inside a stored message record (docs/format/commitlog.md,
// rocketmq-protocol.md §4.1) and a bounds-checked parser over raw bytes. The
// store patches and reads records in place with these; building a record
// from message fields is mq::common's encode_record.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mq::store {

inline constexpr uint32_t kMessageMagic = 0xDAA320A7u;
inline constexpr uint32_t kBlankMagic = 0xCBD43194u;
inline constexpr int kPosTotalSize = 0;
inline constexpr int kPosMagic = 4;
inline constexpr int kPosBodyCrc = 8;
inline constexpr int kPosQueueId = 12;
inline constexpr int kPosFlag = 16;
inline constexpr int kPosQueueOffset = 20;
inline constexpr int kPosPhysicalOffset = 28;
inline constexpr int kPosSysFlag = 36;
inline constexpr int kPosBornTimestamp = 40;
inline constexpr int kPosBornHost = 48;
inline constexpr int32_t kSysFlagBornHostV6 = 0x10;
inline constexpr int32_t kSysFlagStoreHostV6 = 0x20;
inline constexpr int32_t kSysFlagTransactionMask = 0xC;
inline constexpr int32_t kTransactionNot = 0x0;
inline constexpr int32_t kTransactionPrepared = 0x4;
inline constexpr int32_t kTransactionCommit = 0x8;
inline constexpr int32_t kTransactionRollback = 0xC;

// Offset of STORETIMESTAMP for a record with this sysFlag.
inline int store_timestamp_pos(int32_t sys_flag) {
  return kPosBornHost + ((sys_flag & kSysFlagBornHostV6) ? 20 : 8);
}

struct record_fields {
  int32_t total_size = 0;
  int32_t body_crc = 0;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  int64_t store_timestamp = 0;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::string_view body;
  std::string_view topic;
  std::string_view properties;
};

enum class parse_status {
  ok,
  blank,      // end-of-file blank record: continue in the next file
  end,        // zero total size / unknown magic: end of valid data
  corrupt,    // sizes inconsistent or out of bounds
  crc_mismatch,
};

// Parse the record at the start of `in` (which may extend beyond it).
// Never reads outside `in`. With `check_crc` (recovery, reads by id) it also
// verifies the body CRC and the torn-tail checks described in
// docs/format/commitlog.md (valid topic characters, no trailing NUL in the
// properties, a non-zero store time).
parse_status parse_record(std::string_view in, bool check_crc, record_fields& out);

}  // namespace mq::store
