#include "mq/common/batch.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace mq {
namespace {

using test::flip;
using test::unhex;

// Two inner messages typed in from rocketmq-protocol.md §4.7:
//  1. flag 0, body "a", properties KEYS=k1: 22 + 1 + 7 = 30 = 0x1E
//  2. flag 3, body "bc", no properties:     22 + 2 + 0 = 24 = 0x18
std::string golden_batch() {
  return unhex("0000001E | 00000000 | 00000000 | 00000000 | 00000001") + "a" + unhex("0007") + "KEYS\x01k1" +
         unhex("00000018 | 00000000 | 00000000 | 00000003 | 00000002") + "bc" + unhex("0000");
}

std::vector<message> golden_messages() {
  message a;
  a.body = "a";
  a.set_keys({"k1"});
  message b;
  b.flag = 3;
  b.body = "bc";
  return {a, b};
}

TEST(Batch, DecodesTheHandWrittenBody) {
  auto d = decode_batch(golden_batch());
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].flag, 0);
  EXPECT_EQ((*d)[0].body, "a");
  EXPECT_EQ((*d)[0].keys(), std::vector<std::string>{"k1"});
  EXPECT_EQ((*d)[1].flag, 3);
  EXPECT_EQ((*d)[1].body, "bc");
  EXPECT_TRUE((*d)[1].properties.empty());
  for (const auto& m : *d) EXPECT_TRUE(m.topic.empty());  // the topic is in the request header
}

TEST(Batch, EncodesTheHandWrittenBody) {
  auto msgs = golden_messages();
  msgs[0].topic = "ignored";
  auto e = encode_batch(msgs);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(test::to_hex(*e), test::to_hex(golden_batch()));
}

TEST(Batch, MagicAndCrcFieldsAreIgnoredAsJavaDoes) {
  std::string b = golden_batch();
  b.replace(4, 8, unhex("DAA320A7 12345678"));
  auto d = decode_batch(b);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->size(), 2u);
}

TEST(Batch, TruncationAndBadLengthsAreErrors) {
  const std::string body = golden_batch();
  for (size_t n = 0; n < body.size(); ++n) {
    if (n == 30) continue;  // exactly the first message: a valid batch of one
    EXPECT_FALSE(decode_batch(std::string_view(body).substr(0, n))) << n;
  }
  auto one = decode_batch(std::string_view(body).substr(0, 30));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);

  EXPECT_EQ(decode_batch("").error().code, errc::invalid_argument);
  EXPECT_FALSE(decode_batch(flip(body, 3, 0x1E ^ 0x1F)));   // TOTALSIZE disagrees with the fields
  EXPECT_FALSE(decode_batch(flip(body, 0, 0x80)));          // negative TOTALSIZE
  EXPECT_FALSE(decode_batch(flip(body, 16, 0x80)));         // negative BODYLEN
  EXPECT_FALSE(decode_batch(flip(body, 19, 0x01 ^ 0x7F)));  // BODYLEN beyond the body
  EXPECT_FALSE(decode_batch(flip(body, 21, 0x80)));         // negative PROPLEN (0x8007)
  auto e = decode_batch(flip(body, 21, 0x01));              // PROPLEN 0x0107: beyond the body
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, errc::corrupt);
}

TEST(Batch, EncodeRejectsOversizeProperties) {
  message m;
  m.body = "x";
  m.put_property("P", std::string(32767, 'p'));
  auto e = encode_batch({m});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, errc::too_large);
  auto none = encode_batch({});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(Batch, RoundTripOfLargerBodies) {
  std::vector<message> msgs;
  for (int i = 0; i < 50; ++i) {
    message m;
    m.flag = i;
    m.body = std::string(static_cast<size_t>(i) * 37, static_cast<char>('a' + i % 26));
    if (i % 2 == 0) m.set_tags("t" + std::to_string(i));
    msgs.push_back(m);
  }
  auto e = encode_batch(msgs);
  ASSERT_TRUE(e);
  auto d = decode_batch(*e);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ((*d)[i].flag, msgs[i].flag);
    EXPECT_EQ((*d)[i].body, msgs[i].body);
    EXPECT_EQ((*d)[i].properties, msgs[i].properties);
  }
}

}  // namespace
}  // namespace mq
