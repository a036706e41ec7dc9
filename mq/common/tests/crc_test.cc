#include "mq/common/crc.h"

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(Crc, StandardCheckValueMaskedTo31Bits) {
  // CRC-32/IEEE check value of "123456789" is 0xCBF43926 (§4.8).
  EXPECT_EQ(rocketmq_crc32("123456789"), 0x4BF43926);
  EXPECT_EQ(rocketmq_crc32(""), 0);
  // crc32("Hello") = 0xF7D18982: the top bit is cleared.
  EXPECT_EQ(rocketmq_crc32("Hello"), 0x77D18982);
  // crc32("Hi") = 0x4D170E0E has no top bit to clear.
  EXPECT_EQ(rocketmq_crc32("Hi"), 0x4D170E0E);
}

TEST(Crc, NeverNegative) {
  std::string s;
  for (int i = 0; i < 2000; ++i) {
    s.push_back(static_cast<char>(i * 7));
    EXPECT_GE(rocketmq_crc32(s), 0);
  }
}

}  // namespace
}  // namespace mq
