#include "mq/common/compression.h"

#include <gtest/gtest.h>

#include "mq/common/message_const.h"
#include "test_util.h"

namespace mq {
namespace {

TEST(Compression, InflatesAHandWrittenStoredStream) {
  // zlib header 78 01, one final stored block of 5 bytes (len 0005, nlen
  // FFFA), "hello", adler32("hello") = 062C0215.
  auto u = zlib_uncompress(test::unhex("7801 01 0500 FAFF") + "hello" + test::unhex("062C0215"), 100);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(*u, "hello");
}

TEST(Compression, RoundTripWithJavasLevelAndHeader) {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "order-" + std::to_string(i % 97) + ";";
  auto c = zlib_compress(big);
  ASSERT_GE(c.size(), 2u);
  EXPECT_LT(c.size(), big.size() / 4);
  // CMF 0x78 (deflate, 32K window); FLG 0x5E (level 5 = FLEVEL 1), as Deflater(5) writes.
  EXPECT_EQ(test::to_hex(c.substr(0, 2)), "785E");
  auto u = zlib_uncompress(c, big.size());
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(*u, big);
  auto empty = zlib_uncompress(zlib_compress(""), 0);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
}

TEST(Compression, OutputLimitStopsAZipBomb) {
  std::string zeros(8 << 20, '\0');  // 8 MiB of zeros deflate to ~8 KiB
  auto bomb = zlib_compress(zeros, 9);
  EXPECT_LT(bomb.size(), 20000u);
  auto r = zlib_uncompress(bomb, 1 << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::too_large);
  EXPECT_FALSE(zlib_uncompress(bomb, zeros.size() - 1));
  EXPECT_TRUE(zlib_uncompress(bomb, zeros.size()));  // exactly the limit is fine
}

TEST(Compression, CorruptAndTruncatedInputAreErrors) {
  EXPECT_EQ(zlib_uncompress("not zlib", 1000).error().code, errc::corrupt);
  EXPECT_FALSE(zlib_uncompress("", 1000));
  std::string c = zlib_compress(std::string(10000, 'q') + "tail");
  for (size_t n = 0; n < c.size(); ++n) EXPECT_FALSE(zlib_uncompress(c.substr(0, n), 1 << 20)) << n;
  std::string bad = c;
  bad[c.size() - 1] ^= 1;  // adler32 trailer
  EXPECT_FALSE(zlib_uncompress(bad, 1 << 20));
}

TEST(Compression, MaybeCompressUsesTheProducerThreshold) {
  message small;
  small.body = std::string(4095, 'a');
  EXPECT_EQ(maybe_compress(small), 0);
  EXPECT_EQ(small.body, std::string(4095, 'a'));

  message large;
  large.body = std::string(4096, 'a');
  const int32_t bits = maybe_compress(large);
  EXPECT_EQ(bits, sys_flag::compressed);  // 0x1 with type bits 0 = zlib for every 4.x consumer
  EXPECT_EQ(bits & sys_flag::compression_type_mask, 0);
  auto u = zlib_uncompress(large.body, 1 << 20);
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, std::string(4096, 'a'));

  message custom;
  custom.body = "abc";
  EXPECT_EQ(maybe_compress(custom, 3), sys_flag::compressed);
}

}  // namespace
}  // namespace mq
