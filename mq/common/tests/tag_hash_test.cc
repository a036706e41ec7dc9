#include "mq/common/tag_hash.h"

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(TagHash, DocumentExamples) {
  // rocketmq-protocol.md §4.4.
  EXPECT_EQ(java_string_hash("TagA"), 2598919);
  EXPECT_EQ(java_string_hash("*"), 42);
  EXPECT_EQ(java_string_hash("null"), 3392903);
  EXPECT_EQ(java_string_hash(""), 0);
}

TEST(TagHash, Int32WrapAroundAndSignExtension) {
  // 31^n overflows: values checked against java.lang.String.hashCode.
  EXPECT_EQ(java_string_hash("TagA || TagB"), 1359775119);
  EXPECT_EQ(java_string_hash("polygenelubricants"), -2147483648);  // Java's famous Integer.MIN_VALUE hash
  EXPECT_EQ(tags_code("polygenelubricants"), -2147483648LL);       // sign-extended, not 2147483648
  EXPECT_EQ(tags_code("TagA"), 2598919LL);
}

TEST(TagHash, NonAsciiHashesUtf16CodeUnits) {
  // "订单" = U+8BA2 U+5355: 31 * 0x8BA2 + 0x5355 = 31 * 35746 + 21333 = 1129459.
  EXPECT_EQ(java_string_hash("\xE8\xAE\xA2\xE5\x8D\x95"), 1129459);
  // "é" = U+00E9 (2-byte UTF-8): "tag-é" = ((("t"*31+"a")*31+"g")*31+"-")*31+0xE9.
  EXPECT_EQ(java_string_hash("tag-\xC3\xA9"), 110118774);
  // U+1F600 is the surrogate pair D83D DE00: 31 * 55357 + 56832 = 1772899.
  EXPECT_EQ(java_string_hash("\xF0\x9F\x98\x80"), 1772899);
}

TEST(TagHash, MalformedUtf8HashesAsJavasDecoderReplacesIt) {
  // U+FFFD = 65533. Expected values were checked with
  // new String(bytes, UTF_8).hashCode() on OpenJDK 17.
  EXPECT_EQ(java_string_hash("\xFF"), 65533);
  EXPECT_EQ(java_string_hash("\xC0\x80"), 2097056);  // overlong: two U+FFFD, 32 * 65533
  // Cut-off 3-byte sequence at the end: one U+FFFD for both bytes
  // ("AA" = 2080; 2080 * 31 + 65533 = 130013).
  EXPECT_EQ(java_string_hash("AA\xEE\x80"), 130013);
  // Cut-off sequence followed by 'A': one U+FFFD then 'A' (65533 * 31 + 65).
  EXPECT_EQ(java_string_hash("\xE8\xAE"
                             "A"),
            2031588);
  EXPECT_EQ(java_string_hash("\xF0\x9F"
                             "A"),
            2031588);
  // A UTF-8-encoded surrogate (CESU) is one U+FFFD for the 3 bytes.
  EXPECT_EQ(java_string_hash("\xED\xA0\x80"), 65533);
  // Above U+10FFFF: four U+FFFD, 65533 * (31^3 + 31^2 + 31 + 1).
  EXPECT_EQ(java_string_hash("\xF4\x90\x80\x80"), 2017367872);
}

}  // namespace
}  // namespace mq
