// Protocol constants of RocketMQ 4.x messages: well-known property keys,
// SYSFLAG bits, record magic codes, system topics and record limits.
//
// Byte-exact specs: rocketmq-protocol.md §4.1 (record), §4.2 (SYSFLAG),
// §4.3 (properties and keys), §4.5 (ids), §4.6 (compression), §6.2–6.7
// (system topics); on-disk layout in docs/format/commitlog.md. Names follow
// the Java constants (C/message/MessageConst.java, C/sysflag/MessageSysFlag.java,
// C/topic/TopicValidator.java, C/MixAll.java) in snake_case, and the values
// are spelled exactly as RocketMQ spells them on the wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mq {

// ---- Property keys (MessageConst.PROPERTY_*) -------------------------------

inline constexpr std::string_view property_keys = "KEYS";  // space-separated
inline constexpr std::string_view property_tags = "TAGS";
inline constexpr std::string_view property_wait_store_msg_ok = "WAIT";  // absent = true
inline constexpr std::string_view property_delay_time_level = "DELAY";
inline constexpr std::string_view property_retry_topic = "RETRY_TOPIC";
inline constexpr std::string_view property_real_topic = "REAL_TOPIC";
inline constexpr std::string_view property_real_queue_id = "REAL_QID";
inline constexpr std::string_view property_transaction_prepared = "TRAN_MSG";
inline constexpr std::string_view property_producer_group = "PGROUP";
inline constexpr std::string_view property_min_offset = "MIN_OFFSET";  // client-side only
inline constexpr std::string_view property_max_offset = "MAX_OFFSET";  // client-side only
inline constexpr std::string_view property_buyer_id = "BUYER_ID";
inline constexpr std::string_view property_origin_message_id = "ORIGIN_MESSAGE_ID";
inline constexpr std::string_view property_transfer_flag = "TRANSFER_FLAG";
inline constexpr std::string_view property_correction_flag = "CORRECTION_FLAG";
inline constexpr std::string_view property_mq2_flag = "MQ2_FLAG";
inline constexpr std::string_view property_reconsume_time = "RECONSUME_TIME";
inline constexpr std::string_view property_msg_region = "MSG_REGION";
inline constexpr std::string_view property_trace_switch = "TRACE_ON";
inline constexpr std::string_view property_uniq_client_message_id_keyidx = "UNIQ_KEY";
inline constexpr std::string_view property_max_reconsume_times = "MAX_RECONSUME_TIMES";
inline constexpr std::string_view property_consume_start_timestamp = "CONSUME_START_TIME";
inline constexpr std::string_view property_transaction_prepared_queue_offset = "TRAN_PREPARED_QUEUE_OFFSET";
inline constexpr std::string_view property_transaction_check_times = "TRANSACTION_CHECK_TIMES";
inline constexpr std::string_view property_check_immunity_time_in_seconds = "CHECK_IMMUNITY_TIME_IN_SECONDS";
inline constexpr std::string_view property_instance_id = "INSTANCE_ID";
inline constexpr std::string_view property_correlation_id = "CORRELATION_ID";
inline constexpr std::string_view property_message_reply_to_client = "REPLY_TO_CLIENT";
inline constexpr std::string_view property_message_ttl = "TTL";
inline constexpr std::string_view property_reply_message_arrive_time = "ARRIVE_TIME";
inline constexpr std::string_view property_push_reply_time = "PUSH_REPLY_TIME";
inline constexpr std::string_view property_cluster = "CLUSTER";  // added by the broker on store
inline constexpr std::string_view property_message_type = "MSG_TYPE";
inline constexpr std::string_view property_inner_multi_dispatch = "INNER_MULTI_DISPATCH";
inline constexpr std::string_view property_inner_multi_queue_offset = "INNER_MULTI_QUEUE_OFFSET";
// ali-ons / Aliyun ONS only; Apache 4.x ignores them (§4.3).
inline constexpr std::string_view property_ons_sharding_key = "__SHARDING_KEY";
inline constexpr std::string_view property_ons_start_deliver_time = "__STARTDELIVERTIME";

// Separators: KEYS values, and the properties string (§4.3, properties.h).
inline constexpr std::string_view key_separator = " ";
inline constexpr char name_value_separator = '\x01';
inline constexpr char property_separator = '\x02';

// ---- SYSFLAG bits (§4.2) --------------------------------------------------

namespace sys_flag {
inline constexpr int32_t compressed = 0x1;
inline constexpr int32_t multi_tags = 0x2;
inline constexpr int32_t transaction_not_type = 0x0;
inline constexpr int32_t transaction_prepared_type = 0x4;
inline constexpr int32_t transaction_commit_type = 0x8;
inline constexpr int32_t transaction_rollback_type = 0xC;
inline constexpr int32_t transaction_mask = 0xC;
inline constexpr int32_t bornhost_v6 = 0x10;
inline constexpr int32_t storehost_v6 = 0x20;
inline constexpr int32_t need_unwrap = 0x40;  // 5.x
inline constexpr int32_t inner_batch = 0x80;  // 5.x
// Compression type, bits 8–10 (4.9.4+ producers). 0 means zlib: older
// producers set only `compressed`.
inline constexpr int32_t compression_lz4 = 0x100;
inline constexpr int32_t compression_zstd = 0x200;
inline constexpr int32_t compression_zlib = 0x300;
inline constexpr int32_t compression_type_mask = 0x700;

inline constexpr int32_t transaction_value(int32_t flag) {
  return flag & transaction_mask;
}
inline constexpr int32_t reset_transaction_value(int32_t flag, int32_t type) {
  return (flag & ~transaction_mask) | type;
}
}  // namespace sys_flag

// ---- Magic codes (§4.1, §5.1) ---------------------------------------------

inline constexpr uint32_t message_magic_code = 0xDAA320A7u;     // -626843481
inline constexpr uint32_t blank_magic_code = 0xCBD43194u;       // -875286124, end-of-file filler
inline constexpr uint32_t message_magic_code_v2 = 0xDAA320ABu;  // 5.x only: never written, not read

// ---- System topics and prefixes (§6) ---------------------------------------

inline constexpr std::string_view auto_create_topic_key_topic = "TBW102";
inline constexpr std::string_view schedule_topic = "SCHEDULE_TOPIC_XXXX";
inline constexpr std::string_view rmq_sys_trans_half_topic = "RMQ_SYS_TRANS_HALF_TOPIC";
inline constexpr std::string_view rmq_sys_trans_op_half_topic = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
inline constexpr std::string_view trans_check_max_time_topic = "TRANS_CHECK_MAX_TIME_TOPIC";
inline constexpr std::string_view self_test_topic = "SELF_TEST_TOPIC";
inline constexpr std::string_view offset_moved_event = "OFFSET_MOVED_EVENT";
inline constexpr std::string_view benchmark_topic = "BenchmarkTest";
inline constexpr std::string_view rmq_sys_trace_topic = "RMQ_SYS_TRACE_TOPIC";
inline constexpr std::string_view retry_group_topic_prefix = "%RETRY%";  // + consumer group
inline constexpr std::string_view dlq_group_topic_prefix = "%DLQ%";      // + consumer group

// ---- Limits (§4.1) ----------------------------------------------------------

inline constexpr size_t max_topic_length = 127;         // TOPICLENGTH is an int8
inline constexpr size_t max_properties_length = 32767;  // PROPERTIESLENGTH is an int16

}  // namespace mq
