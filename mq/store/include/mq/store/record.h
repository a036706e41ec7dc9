// Field positions inside a stored message record (docs/format/commitlog.md,
// rocketmq-protocol.md §4.1) and a bounds-checked parser over raw bytes. The
// store patches and reads records in place with these; building a record
// from message fields is mq::common's encode_record.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "mq/common/message_const.h"
#include "mq/common/message_record.h"

namespace mq::store {

// Short names for the layout facts, which live once in mq/common.
inline constexpr uint32_t kMessageMagic = mq::message_magic_code;
inline constexpr uint32_t kBlankMagic = mq::blank_magic_code;
inline constexpr int kPosTotalSize = static_cast<int>(mq::record_pos::total_size);
inline constexpr int kPosMagic = static_cast<int>(mq::record_pos::magic);
inline constexpr int kPosBodyCrc = static_cast<int>(mq::record_pos::body_crc);
inline constexpr int kPosQueueId = static_cast<int>(mq::record_pos::queue_id);
inline constexpr int kPosFlag = static_cast<int>(mq::record_pos::flag);
inline constexpr int kPosQueueOffset = static_cast<int>(mq::record_pos::queue_offset);
inline constexpr int kPosPhysicalOffset = static_cast<int>(mq::record_pos::physical_offset);
inline constexpr int kPosSysFlag = static_cast<int>(mq::record_pos::sys_flag);
inline constexpr int kPosBornTimestamp = static_cast<int>(mq::record_pos::born_timestamp);
inline constexpr int kPosBornHost = static_cast<int>(mq::record_pos::born_host);
inline constexpr int32_t kSysFlagBornHostV6 = mq::sys_flag::bornhost_v6;
inline constexpr int32_t kSysFlagStoreHostV6 = mq::sys_flag::storehost_v6;
inline constexpr int32_t kSysFlagTransactionMask = mq::sys_flag::transaction_mask;
inline constexpr int32_t kTransactionNot = mq::sys_flag::transaction_not_type;
inline constexpr int32_t kTransactionPrepared = mq::sys_flag::transaction_prepared_type;
inline constexpr int32_t kTransactionCommit = mq::sys_flag::transaction_commit_type;
inline constexpr int32_t kTransactionRollback = mq::sys_flag::transaction_rollback_type;

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
