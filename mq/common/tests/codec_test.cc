#include "mq/common/message_record.h"

#include <gtest/gtest.h>

#include "mq/common/batch.h"
#include "mq/common/compression.h"
#include "mq/common/crc.h"
#include "mq/common/message_const.h"
#include "mq/common/properties.h"
#include "mq/common/tag_hash.h"

namespace mq {
namespace {

std::string hex(const char* h) {
  std::string out;
  auto v = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (const char* p = h; *p;) {
    if (*p == ' ' || *p == '|') {
      ++p;
      continue;
    }
    out.push_back(static_cast<char>(v(p[0]) * 16 + v(p[1])));
    p += 2;
  }
  return out;
}

// A record typed in field by field from rocketmq-protocol.md §4.1:
// topic TopicTest, body "Hello", properties TAGS=TagA, queue 1, queue
// offset 7, commit-log offset 8000, born 10.0.0.9:53422 at 1700000000000,
// stored on 10.0.0.5:10911 at 1700000000123.
std::string golden_record() {
  return hex(
             "00000072 DAA320A7 77D18982 00000001 00000000 | 0000000000000007 | 0000000000001F40 | 00000000 |"
             "0000018BCFE56800 | 0A000009 0000D0AE | 0000018BCFE5687B | 0A000005 00002A9F | 00000000 |"
             "0000000000000000 | 00000005") +
         "Hello" + hex("09") + "TopicTest" + hex("0009") + "TAGS\x01TagA";
}

message_ext golden_message() {
  message_ext m;
  m.topic = "TopicTest";
  m.body = "Hello";
  m.set_tags("TagA");
  m.queue_id = 1;
  m.queue_offset = 7;
  m.commit_log_offset = 8000;
  m.born_timestamp = 1700000000000;
  m.born_host = socket_address::v4(10, 0, 0, 9, 53422);
  m.store_timestamp = 1700000000123;
  m.store_host = socket_address::v4(10, 0, 0, 5, 10911);
  m.body_crc = rocketmq_crc32("Hello");
  return m;
}

TEST(Record, EncodesTheHandWrittenGoldenBytes) {
  std::string golden = golden_record();
  ASSERT_EQ(golden.size(), 114u);  // 91 + body 5 + topic 9 + properties 9
  auto enc = encode_record(golden_message());
  ASSERT_TRUE(enc) << enc.error().message;
  EXPECT_EQ(*enc, golden);
}

TEST(Record, DecodesTheGoldenBytes) {
  size_t used = 0;
  auto m = decode_record(golden_record(), true, &used);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(used, 114u);
  EXPECT_EQ(m->topic, "TopicTest");
  EXPECT_EQ(m->body, "Hello");
  EXPECT_EQ(m->tags(), "TagA");
  EXPECT_EQ(m->queue_id, 1);
  EXPECT_EQ(m->queue_offset, 7);
  EXPECT_EQ(m->commit_log_offset, 8000);
  EXPECT_EQ(m->born_host.to_string(), "10.0.0.9:53422");
  EXPECT_EQ(m->store_host.to_string(), "10.0.0.5:10911");
  EXPECT_EQ(m->store_timestamp, 1700000000123);
  // §4.5: 10.0.0.5:10911 at offset 8000.
  EXPECT_EQ(m->msg_id, "0A00000500002A9F0000000000001F40");
}

TEST(Record, PullBodyWithTwoRecords) {
  std::string second = golden_record();
  // Second record: queue offset 8 at commit-log offset 8114, body "World".
  second.replace(20, 8, hex("0000000000000008"));
  second.replace(28, 8, hex("0000000000001FB2"));
  second.replace(88, 5, "World");
  second.replace(8, 4, hex("4FFF49A7"));  // crc32("World") & 0x7FFFFFFF... checked below
  uint32_t crc = static_cast<uint32_t>(rocketmq_crc32("World"));
  std::string crc_bytes;
  for (int sh = 24; sh >= 0; sh -= 8) crc_bytes.push_back(static_cast<char>(crc >> sh));
  second.replace(8, 4, crc_bytes);
  auto all = decode_records(golden_record() + second, true);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].body, "Hello");
  EXPECT_EQ((*all)[1].body, "World");
  EXPECT_EQ((*all)[1].queue_offset, 8);
  EXPECT_EQ((*all)[1].msg_id, "0A00000500002A9F0000000000001FB2");
}

TEST(Record, Ipv6HostsUseTheWideLayout) {
  auto m = golden_message();
  m.born_host = *socket_address::parse("[2001:db8::1]:40000");
  m.store_host = *socket_address::parse("[2001:db8::5]:10911");
  auto enc = encode_record(m);
  ASSERT_TRUE(enc);
  EXPECT_EQ(enc->size(), 114u + 24u);
  auto back = decode_record(*enc, true);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sys_flag & (sys_flag::bornhost_v6 | sys_flag::storehost_v6), 0x30);
  EXPECT_EQ(back->store_host.to_string(), "[2001:db8::5]:10911");
  EXPECT_EQ(back->msg_id.size(), 56u);
  EXPECT_EQ(back->body, "Hello");
}

TEST(Record, EveryTruncationAndCorruptionIsAnError) {
  std::string g = golden_record();
  for (size_t n = 0; n < g.size(); ++n) {
    EXPECT_FALSE(decode_record(std::string_view(g).substr(0, n), false)) << n;
  }
  std::string bad_crc = g;
  bad_crc[90] ^= 1;  // a body byte
  EXPECT_FALSE(decode_record(bad_crc, true));
  EXPECT_TRUE(decode_record(bad_crc, false));
  std::string bad_len = g;
  bad_len[3] = 0x71;  // TOTALSIZE one short of the fields
  EXPECT_FALSE(decode_record(bad_len + "x", false));
  std::string bad_magic = g;
  bad_magic[4] = 0;
  EXPECT_FALSE(decode_record(bad_magic, false));
  EXPECT_FALSE(decode_records(g + "junk"));
}

TEST(Record, RejectsOversizeTopicAndProperties) {
  auto m = golden_message();
  m.topic = std::string(128, 't');
  EXPECT_FALSE(encode_record(m));
  m.topic = "T";
  m.put_property("big", std::string(32767, 'p'));
  EXPECT_FALSE(encode_record(m));
}

TEST(Properties, JavaRules) {
  EXPECT_EQ(encode_properties({{"KEYS", "k1"}, {"TAGS", "A"}}), "KEYS\x01k1\x02TAGS\x01" "A");
  EXPECT_EQ(encode_properties({{"EMPTY", ""}, {"TAGS", "A"}}), "TAGS\x01" "A");
  auto p = decode_properties("TAGS\x01null\x02KEYS\x01k1\x02");  // ali-ons: trailing \x02, literal null
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p["TAGS"], "null");
  EXPECT_EQ(p["KEYS"], "k1");
  auto q = decode_properties(std::string("\x01v\x02k\x01\x02" "ab\x02" "a\x01" "b\x02\x02", 13));
  ASSERT_EQ(q.size(), 1u);  // empty key, empty value, short and separator-less segments dropped
  EXPECT_EQ(q["a"], "b");
  EXPECT_TRUE(decode_properties("").empty());
  auto r = decode_properties("k\x01v\x01w");  // value keeps a later \x01
  EXPECT_EQ(r["k"], "v\x01w");
}

TEST(TagHash, MatchesJavaStringHashCode) {
  EXPECT_EQ(java_string_hash("TagA"), 2598919);   // §3.3 / §4.4
  EXPECT_EQ(java_string_hash("*"), 42);
  EXPECT_EQ(java_string_hash("null"), 3392903);
  EXPECT_EQ(java_string_hash(""), 0);
  // Non-ASCII: UTF-16 code units U+8BA2 U+5355; a surrogate pair D83D DE00.
  EXPECT_EQ(java_string_hash("\xE8\xAE\xA2\xE5\x8D\x95"), 1129459);        // "订单"
  EXPECT_EQ(java_string_hash("\xF0\x9F\x98\x80"), 1772899);                // U+1F600
  EXPECT_EQ(java_string_hash("tag-\xC3\xA9"), 110118774);                  // "tag-é"
  EXPECT_EQ(java_string_hash("TagA || TagB"), 1359775119);                 // int32 overflow
  EXPECT_EQ(tags_code("TagA || TagB"), 1359775119);
  EXPECT_EQ(java_string_hash("\xFF"), 0xFFFD);  // malformed byte = U+FFFD
}

TEST(Crc, IsZlibCrc32MaskedTo31Bits) {
  EXPECT_EQ(rocketmq_crc32("123456789"), 0x4BF43926);  // 0xCBF43926 & 0x7FFFFFFF
  EXPECT_EQ(rocketmq_crc32(""), 0);
}

TEST(Batch, HandWrittenBodyDecodesAndReEncodes) {
  // Two inner messages (§4.7): flag 0 body "a" props KEYS=k1; flag 3 body "bc" no props.
  std::string body = hex("0000001E 00000000 00000000 00000000 00000001") + "a" + hex("0007") + "KEYS\x01k1" +
                     hex("00000018 00000000 00000000 00000003 00000002") + "bc" + hex("0000");
  auto d = decode_batch(body);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].body, "a");
  EXPECT_EQ((*d)[0].keys(), std::vector<std::string>{"k1"});
  EXPECT_EQ((*d)[1].flag, 3);
  EXPECT_EQ((*d)[1].body, "bc");
  auto e = encode_batch(*d);
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, body);
  for (size_t n = 1; n < body.size(); ++n) {
    if (n == 30) continue;  // a whole first entry is a valid batch of one
    EXPECT_FALSE(decode_batch(std::string_view(body).substr(0, n))) << n;
  }
  EXPECT_FALSE(decode_batch(""));
  std::string liar = body;
  liar[3] = 0x40;  // TOTALSIZE disagrees with the fields
  EXPECT_FALSE(decode_batch(liar));
}

TEST(Compression, RoundTripThresholdAndBombLimit) {
  std::string big(100000, 'z');
  auto c = zlib_compress(big);
  EXPECT_LT(c.size(), 1000u);
  EXPECT_EQ(static_cast<unsigned char>(c[0]), 0x78);  // zlib header
  auto u = zlib_uncompress(c, 1 << 20);
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, big);
  EXPECT_FALSE(zlib_uncompress(c, 50000));  // would exceed the limit
  EXPECT_FALSE(zlib_uncompress("not zlib", 1000));
  EXPECT_FALSE(zlib_uncompress(c.substr(0, c.size() / 2), 1 << 20));
  message small;
  small.body = "short";
  EXPECT_EQ(maybe_compress(small), 0);
  message large;
  large.body = big;
  EXPECT_EQ(maybe_compress(large), sys_flag::compressed);
  EXPECT_EQ(*zlib_uncompress(large.body, 1 << 20), big);
}

}  // namespace
}  // namespace mq
