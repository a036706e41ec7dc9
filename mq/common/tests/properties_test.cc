#include "mq/common/properties.h"

#include <gtest/gtest.h>

namespace mq {
namespace {

using props = std::map<std::string, std::string>;

TEST(Properties, EncodeJoinsWithoutTrailingSeparator) {
  EXPECT_EQ(encode_properties({}), "");
  EXPECT_EQ(encode_properties({{"TAGS", "A"}}),
            "TAGS\x01"
            "A");
  EXPECT_EQ(encode_properties({{"KEYS", "k1 k2"}, {"TAGS", "A"}}),
            "KEYS\x01k1 k2\x02TAGS\x01"
            "A");
}

TEST(Properties, EncodeSkipsEmptyValuesAndKeys) {
  EXPECT_EQ(encode_properties({{"EMPTY", ""}, {"TAGS", "A"}}),
            "TAGS\x01"
            "A");
  EXPECT_EQ(encode_properties({{"", "v"}}), "");
  EXPECT_EQ(encode_properties({{"A", ""}, {"B", ""}}), "");
}

TEST(Properties, DecodeToleratesAliOnsTrailingSeparatorAndLiteralNull) {
  // ali-ons writes a \x02 after every pair and a missing tag as "null".
  auto p = decode_properties("TAGS\x01null\x02KEYS\x01k1\x02");
  EXPECT_EQ(p, (props{{"TAGS", "null"}, {"KEYS", "k1"}}));
  EXPECT_EQ(decode_properties("A\x01"
                              "1\x02\x02\x02"),
            (props{{"A", "1"}}));
}

TEST(Properties, DecodeDropsWhatJavaDrops) {
  EXPECT_TRUE(decode_properties("").empty());
  EXPECT_TRUE(decode_properties("\x02").empty());
  EXPECT_TRUE(decode_properties("\x01v").empty());         // empty key (and < 3 chars)
  EXPECT_TRUE(decode_properties("\x01vv").empty());        // empty key, 3 chars
  EXPECT_TRUE(decode_properties("kk\x01").empty());        // empty value, 3 chars
  EXPECT_TRUE(decode_properties("ab").empty());            // shorter than 3
  EXPECT_TRUE(decode_properties("abc").empty());           // no separator
  EXPECT_TRUE(decode_properties("\x01\x01\x01").empty());  // separator first
  EXPECT_EQ(decode_properties("a\x01"
                              "b"),
            (props{{"a", "b"}}));  // exactly 3
  // All of it in one string: only "a"="b" survives.
  EXPECT_EQ(decode_properties(std::string_view("\x01v\x02k\x01\x02"
                                               "ab\x02"
                                               "a\x01"
                                               "b\x02\x02",
                                               13)),
            (props{{"a", "b"}}));
}

TEST(Properties, DecodeValueRunsToTheSegmentEnd) {
  EXPECT_EQ(decode_properties("k\x01v\x01w"), (props{{"k", "v\x01w"}}));
  EXPECT_EQ(decode_properties("k\x01\x01w"), (props{{"k", "\x01w"}}));  // the first \x01 splits
  EXPECT_EQ(decode_properties("k\x01"
                              "1\x02k\x01"
                              "2"),
            (props{{"k", "2"}}));  // later wins
}

TEST(Properties, NonAsciiBytesPassThrough) {
  props p{{"TAGS", "\xE8\xAE\xA2\xE5\x8D\x95"}, {"KEYS", "\xF0\x9F\x98\x80"}};
  EXPECT_EQ(decode_properties(encode_properties(p)), p);
}

TEST(Properties, RoundTrip) {
  props p{{"KEYS", "order-1 order-2"},
          {"TAGS", "TagA"},
          {"UNIQ_KEY", "0A000005000000000000000000000000"},
          {"WAIT", "true"},
          {"DELAY", "3"}};
  EXPECT_EQ(decode_properties(encode_properties(p)), p);
}

}  // namespace
}  // namespace mq
