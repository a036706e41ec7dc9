#include "mq/common/message_record.h"

#include <gtest/gtest.h>

#include "mq/common/crc.h"
#include "mq/common/message_const.h"
#include "test_util.h"

namespace mq {
namespace {

using test::flip;
using test::unhex;

// Record 1, typed in field by field from rocketmq-protocol.md §4.1 (also the
// worked example of docs/format/commitlog.md): topic TopicTest, body "Hello",
// properties TAGS=TagA, queue 1, flag 0, queue offset 7, commit-log offset
// 8000, born 10.0.0.9:53422 at 1700000000000, stored on 10.0.0.5:10911 at
// 1700000000123. BODYCRC = crc32("Hello") 0xF7D18982 & 0x7FFFFFFF.
// Size 91 + 5 + 9 + 9 = 114 = 0x72.
std::string golden_v4() {
  return unhex(
             "00000072 | DAA320A7 | 77D18982 | 00000001 | 00000000 | 0000000000000007 | 0000000000001F40 |"
             "00000000 | 0000018BCFE56800 | 0A000009 0000D0AE | 0000018BCFE5687B | 0A000005 00002A9F |"
             "00000000 | 0000000000000000 | 00000005") +
         "Hello" + unhex("09") + "TopicTest" + unhex("0009") + "TAGS\x01TagA";
}

message_ext golden_v4_message() {
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
  m.body_crc = 0x77D18982;
  return m;
}

// Record 2 of a PULL body: the same message stream's next record, at
// commit-log offset 8114 (0x1FB2) and queue offset 8, body "World"
// (crc32 0xFBB63E47 -> 0x7BB63E47), no properties. 91 + 5 + 9 = 105 = 0x69.
std::string golden_v4_second() {
  return unhex(
             "00000069 | DAA320A7 | 7BB63E47 | 00000001 | 00000000 | 0000000000000008 | 0000000000001FB2 |"
             "00000000 | 0000018BCFE56800 | 0A000009 0000D0AE | 0000018BCFE5687B | 0A000005 00002A9F |"
             "00000000 | 0000000000000000 | 00000005") +
         "World" + unhex("09") + "TopicTest" + unhex("0000");
}

// An IPv6 born host and an IPv4 store host (SYSFLAG 0x10): born
// [2001:db8::9]:53422, queue 3, flag 7, reconsume 2, offset 0x72, body "Hi"
// (crc32 0x4D170E0E), topic T6, KEYS="k1 k2". 91 + 12 + 2 + 2 + 10 = 117.
std::string golden_v6() {
  return unhex(
             "00000075 | DAA320A7 | 4D170E0E | 00000003 | 00000007 | 0000000000000000 | 0000000000000072 |"
             "00000010 | 0000018BCFE56800 | 20010DB8000000000000000000000009 0000D0AE | 0000018BCFE5687B |"
             "0A000005 00002A9F | 00000002 | 0000000000000000 | 00000002") +
         "Hi" + unhex("02") + "T6" + unhex("000A") + "KEYS\x01k1 k2";
}

message_ext golden_v6_message() {
  message_ext m;
  m.topic = "T6";
  m.body = "Hi";
  m.set_keys({"k1", "k2"});
  m.queue_id = 3;
  m.flag = 7;
  m.commit_log_offset = 0x72;
  m.born_timestamp = 1700000000000;
  m.born_host = *socket_address::parse("[2001:db8::9]:53422");
  m.store_timestamp = 1700000000123;
  m.store_host = socket_address::v4(10, 0, 0, 5, 10911);
  m.reconsume_times = 2;
  m.body_crc = 0x4D170E0E;
  return m;
}

TEST(Record, EncodesTheHandWrittenGoldenBytes) {
  std::string golden = golden_v4();
  ASSERT_EQ(golden.size(), 114u);
  auto enc = encode_record(golden_v4_message());
  ASSERT_TRUE(enc) << enc.error().message;
  EXPECT_EQ(test::to_hex(*enc), test::to_hex(golden));
  EXPECT_EQ(record_size(golden_v4_message()), 114u);
  EXPECT_EQ(record_size(golden_v4_message(), 9), 114u);
}

TEST(Record, DecodesTheHandWrittenIpv4Bytes) {
  size_t used = 0;
  auto m = decode_record(golden_v4(), /*check_crc=*/true, &used);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(used, 114u);
  EXPECT_EQ(m->store_size, 114);
  EXPECT_EQ(m->topic, "TopicTest");
  EXPECT_EQ(m->body, "Hello");
  EXPECT_EQ(m->properties, (std::map<std::string, std::string>{{"TAGS", "TagA"}}));
  EXPECT_EQ(m->body_crc, 0x77D18982);
  EXPECT_EQ(m->queue_id, 1);
  EXPECT_EQ(m->flag, 0);
  EXPECT_EQ(m->queue_offset, 7);
  EXPECT_EQ(m->commit_log_offset, 8000);
  EXPECT_EQ(m->sys_flag, 0);
  EXPECT_EQ(m->born_timestamp, 1700000000000);
  EXPECT_EQ(m->born_host.to_string(), "10.0.0.9:53422");
  EXPECT_EQ(m->store_timestamp, 1700000000123);
  EXPECT_EQ(m->store_host.to_string(), "10.0.0.5:10911");
  EXPECT_EQ(m->reconsume_times, 0);
  EXPECT_EQ(m->prepared_transaction_offset, 0);
  EXPECT_EQ(m->msg_id, "0A00000500002A9F0000000000001F40");  // §4.5's example
}

TEST(Record, Ipv6BornHostHandWrittenBothWays) {
  std::string golden = golden_v6();
  ASSERT_EQ(golden.size(), 117u);
  auto enc = encode_record(golden_v6_message());
  ASSERT_TRUE(enc) << enc.error().message;
  EXPECT_EQ(test::to_hex(*enc), test::to_hex(golden));

  auto m = decode_record(golden, true);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->sys_flag, sys_flag::bornhost_v6);
  EXPECT_EQ(m->born_host.to_string(), "[2001:db8::9]:53422");
  EXPECT_EQ(m->store_host.to_string(), "10.0.0.5:10911");
  EXPECT_EQ(m->keys(), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(m->reconsume_times, 2);
  EXPECT_EQ(m->flag, 7);
  EXPECT_EQ(m->msg_id, "0A00000500002A9F0000000000000072");
}

TEST(Record, BothHostsIpv6) {
  auto m = golden_v4_message();
  m.born_host = *socket_address::parse("[2001:db8::1]:40000");
  m.store_host = *socket_address::parse("[2001:db8::5]:10911");
  auto enc = encode_record(m);
  ASSERT_TRUE(enc);
  EXPECT_EQ(enc->size(), 114u + 24u);
  EXPECT_EQ(record_size(m), 138u);
  auto back = decode_record(*enc, true);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->sys_flag, sys_flag::bornhost_v6 | sys_flag::storehost_v6);
  EXPECT_EQ(back->born_host, m.born_host);
  EXPECT_EQ(back->store_host, m.store_host);
  // 56 hex chars: 16-byte ip + port + offset.
  EXPECT_EQ(back->msg_id,
            "20010DB8000000000000000000000005"
            "00002A9F"
            "0000000000001F40");
  EXPECT_EQ(back->body, "Hello");
}

TEST(Record, HostBitsOfSysFlagFollowTheHostTypes) {
  auto m = golden_v4_message();
  m.sys_flag = sys_flag::bornhost_v6 | sys_flag::storehost_v6 | sys_flag::transaction_commit_type |
               sys_flag::compressed;  // host bits wrong on purpose
  auto enc = encode_record(m);
  ASSERT_TRUE(enc);
  ASSERT_EQ(enc->size(), 114u);
  EXPECT_EQ(enc->substr(record_pos::sys_flag, 4), unhex("00000009"));
}

TEST(Record, ViewGivesFieldsAndPositionsWithoutCopying) {
  std::string v4 = golden_v4();
  auto v = parse_record_view(v4, true);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_FALSE(v->is_blank());
  EXPECT_EQ(v->total_size, 114);
  EXPECT_EQ(v->magic, message_magic_code);
  EXPECT_EQ(v->physical_offset, 8000);
  EXPECT_EQ(v->queue_offset, 7);
  // §4.1's IPv4 offsets.
  EXPECT_EQ(v->store_timestamp_pos, 56u);
  EXPECT_EQ(v->store_host_pos, 64u);
  EXPECT_EQ(v->reconsume_times_pos, 72u);
  EXPECT_EQ(v->prepared_transaction_offset_pos, 76u);
  EXPECT_EQ(v->body_length_pos, 84u);
  EXPECT_EQ(v->body_pos, 88u);
  EXPECT_EQ(v->topic_length_pos, 93u);
  EXPECT_EQ(v->properties_length_pos, 103u);
  EXPECT_EQ(v->body, "Hello");
  EXPECT_EQ(v->topic, "TopicTest");
  EXPECT_EQ(v->properties, "TAGS\x01TagA");
  EXPECT_EQ(v->body.data(), v4.data() + 88);  // points into the input

  auto w = parse_record_view(golden_v6());
  ASSERT_TRUE(w);
  EXPECT_EQ(w->store_timestamp_pos, 68u);
  EXPECT_EQ(w->store_host_pos, 76u);
  EXPECT_EQ(w->reconsume_times_pos, 84u);
  EXPECT_EQ(w->body_length_pos, 96u);
  EXPECT_EQ(w->body_pos, 100u);
  EXPECT_EQ(w->topic_length_pos, 102u);
  EXPECT_EQ(w->properties_length_pos, 105u);
  EXPECT_EQ(w->store_timestamp, 1700000000123);
}

TEST(Record, ViewAcceptsABlankEndOfFileRecord) {
  // §5.1: TOTALSIZE = the rest of the file, then the BLANK magic.
  std::string blank = unhex("00000010 CBD43194") + std::string(8, '\0');
  auto v = parse_record_view(blank);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->is_blank());
  EXPECT_EQ(v->total_size, 16);
  EXPECT_FALSE(parse_record_view(blank.substr(0, 15)));         // size beyond the input
  EXPECT_FALSE(parse_record_view(unhex("00000004 CBD43194")));  // smaller than its header
  EXPECT_FALSE(decode_record(blank, false));                    // not a message
}

TEST(Record, PullBodyWithTwoHandWrittenRecords) {
  auto all = decode_records(golden_v4() + golden_v4_second(), /*check_crc=*/true);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].body, "Hello");
  EXPECT_EQ((*all)[0].queue_offset, 7);
  EXPECT_EQ((*all)[1].body, "World");
  EXPECT_EQ((*all)[1].queue_offset, 8);
  EXPECT_EQ((*all)[1].store_size, 105);
  EXPECT_TRUE((*all)[1].properties.empty());
  EXPECT_EQ((*all)[1].msg_id, "0A00000500002A9F0000000000001FB2");
  auto empty = decode_records("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(Record, EveryTruncationIsAnError) {
  for (const std::string& g : {golden_v4(), golden_v6(), golden_v4() + golden_v4_second()}) {
    const size_t first = g.size() == 219 ? 114 : g.size();
    for (size_t n = 0; n < g.size(); ++n) {
      std::string_view cut = std::string_view(g).substr(0, n);
      if (n < first) {
        EXPECT_FALSE(decode_record(cut, false)) << n;
        EXPECT_FALSE(parse_record_view(cut)) << n;
      }
      if (n != 0 && n != first) {  // "" is an empty body
        EXPECT_FALSE(decode_records(cut)) << n;
      }
    }
  }
}

TEST(Record, CorruptionIsAnError) {
  const std::string g = golden_v4();
  EXPECT_FALSE(decode_record(flip(g, 90), true));  // a body byte: CRC mismatch
  EXPECT_TRUE(decode_record(flip(g, 90), false));  // ... only detected when asked
  EXPECT_FALSE(decode_record(flip(g, 4), false));  // magic
  // TOTALSIZE one short / one long of the fields, with input to spare.
  EXPECT_FALSE(decode_record(flip(g, 3, 0x72 ^ 0x71) + "xx", false));
  EXPECT_FALSE(decode_record(flip(g, 3, 0x72 ^ 0x73) + "xx", false));
  EXPECT_FALSE(decode_record(flip(g, 0, 0x80), false));  // negative TOTALSIZE
  // BODYLENGTH negative, or longer than the record.
  EXPECT_FALSE(decode_record(flip(g, 84, 0x80), false));
  EXPECT_FALSE(decode_record(flip(g, 87, 0x05 ^ 0x06), false));
  // TOPICLENGTH 0x89: negative as Java's int8.
  EXPECT_FALSE(decode_record(flip(g, 93, 0x80), false));
  // PROPERTIESLENGTH 0x8009: negative as Java's int16.
  EXPECT_FALSE(decode_record(flip(g, 103, 0x80), false));
  // SYSFLAG claims an IPv6 store host: the fields no longer add up.
  EXPECT_FALSE(decode_record(flip(g, 39, 0x20), false));
  // 5.x v2 magic: not a 4.x record.
  auto v2 = decode_record(flip(g, 7, 0xA7 ^ 0xAB), false);
  ASSERT_FALSE(v2);
  EXPECT_EQ(v2.error().code, errc::unsupported);
  // A good record followed by junk in a PULL body.
  EXPECT_FALSE(decode_records(g + "junk"));
  EXPECT_EQ(decode_record(flip(g, 4), false).error().code, errc::corrupt);
}

TEST(Record, ArbitraryByteChangesNeverReadOutOfBounds) {
  // Every byte of both goldens set to a few interesting values; each result
  // must be an error or a record that re-encodes and decodes the same.
  for (const std::string& g : {golden_v4(), golden_v6()}) {
    for (size_t i = 0; i < g.size(); ++i) {
      for (uint8_t b : {0x00, 0x01, 0x7F, 0x80, 0xFF}) {
        std::string c = g;
        c[i] = static_cast<char>(b);
        auto m = decode_record(c, false);
        if (!m) continue;
        auto again = encode_record(*m);
        ASSERT_TRUE(again) << i;
        auto back = decode_record(*again, false);
        ASSERT_TRUE(back) << i;
        EXPECT_EQ(back->body, m->body);
        EXPECT_EQ(back->topic, m->topic);
        EXPECT_EQ(back->properties, m->properties);
      }
    }
  }
}

TEST(Record, EncodeLimits) {
  auto m = golden_v4_message();
  m.topic = std::string(127, 't');
  EXPECT_TRUE(encode_record(m));
  m.topic = std::string(128, 't');
  auto long_topic = encode_record(m);
  ASSERT_FALSE(long_topic);
  EXPECT_EQ(long_topic.error().code, errc::invalid_argument);

  m.topic = "T";
  m.properties.clear();
  m.put_property("P", std::string(32767 - 2, 'p'));  // "P\x01" + value = 32767
  auto max_props = encode_record(m);
  ASSERT_TRUE(max_props);
  auto back = decode_record(*max_props, false);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->properties.at("P").size(), 32765u);
  m.put_property("P", std::string(32767 - 1, 'p'));
  auto too_big = encode_record(m);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, errc::too_large);
}

TEST(Record, CrcOfTheStoredBodyIsChecked) {
  auto m = golden_v4_message();
  m.body = std::string(1000, 'x');
  m.body_crc = rocketmq_crc32(m.body);
  auto enc = encode_record(m);
  ASSERT_TRUE(enc);
  EXPECT_TRUE(decode_record(*enc, true));
  m.body_crc ^= 1;
  EXPECT_FALSE(decode_record(*encode_record(m), true));
}

}  // namespace
}  // namespace mq
