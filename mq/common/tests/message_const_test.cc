#include "mq/common/message_const.h"

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(MessageConst, MagicCodesAsJavaInts) {
  // §4.1: Java writes them as the ints -626843481 and -875286124.
  EXPECT_EQ(static_cast<int32_t>(message_magic_code), -626843481);
  EXPECT_EQ(static_cast<int32_t>(blank_magic_code), -875286124);
  EXPECT_EQ(static_cast<int32_t>(message_magic_code_v2), -626843477);
}

TEST(MessageConst, SysFlagBits) {
  EXPECT_EQ(sys_flag::compressed, 0x1);
  EXPECT_EQ(sys_flag::multi_tags, 0x2);
  EXPECT_EQ(sys_flag::transaction_value(0x4 | 0x1 | 0x10), sys_flag::transaction_prepared_type);
  EXPECT_EQ(sys_flag::transaction_value(0xC), sys_flag::transaction_rollback_type);
  EXPECT_EQ(sys_flag::reset_transaction_value(0x4 | 0x1, sys_flag::transaction_commit_type), 0x9);
  EXPECT_EQ(sys_flag::bornhost_v6, 0x10);
  EXPECT_EQ(sys_flag::storehost_v6, 0x20);
  EXPECT_EQ(sys_flag::compression_zlib & sys_flag::compression_type_mask, 0x300);
}

TEST(MessageConst, SpelledAsRocketMqSpellsThem) {
  EXPECT_EQ(property_uniq_client_message_id_keyidx, "UNIQ_KEY");
  EXPECT_EQ(property_transaction_prepared, "TRAN_MSG");
  EXPECT_EQ(property_real_queue_id, "REAL_QID");
  EXPECT_EQ(property_check_immunity_time_in_seconds, "CHECK_IMMUNITY_TIME_IN_SECONDS");
  EXPECT_EQ(schedule_topic, "SCHEDULE_TOPIC_XXXX");
  EXPECT_EQ(auto_create_topic_key_topic, "TBW102");
  EXPECT_EQ(retry_group_topic_prefix, "%RETRY%");
  EXPECT_EQ(dlq_group_topic_prefix, "%DLQ%");
  EXPECT_EQ(max_topic_length, 127u);
  EXPECT_EQ(max_properties_length, 32767u);
}

}  // namespace
}  // namespace mq
