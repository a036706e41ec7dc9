// A PULL_MESSAGE response frame typed in by hand from rocketmq-protocol.md
// §2.1 / §4.1 / §4.9: JSON header with the four offset fields, body = two
// store records back to back.
#include <gtest/gtest.h>

#include "mq/common/message_record.h"
#include "mq/remoting/frame.h"

namespace mq::remoting {
namespace {

std::string hex(const char* h) {
  std::string out;
  auto v = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (const char* p = h; *p;) {
    if (*p == ' ') {
      ++p;
      continue;
    }
    out.push_back(static_cast<char>(v(p[0]) * 16 + v(p[1])));
    p += 2;
  }
  return out;
}

// Record for body `b` (5 bytes) with crc `crc`, queue offset `qo`, commit-log offset `po`.
std::string record(const char* b, const char* crc, const char* qo, const char* po) {
  std::string s = hex("00000072 DAA320A7");
  s += hex(crc);
  s += hex("00000001 00000000");
  s += hex(qo);
  s += hex(po);
  s += hex("00000000 0000018BCFE56800 0A000009 0000D0AE 0000018BCFE5687B 0A000005 00002A9F 00000000"
           " 0000000000000000 00000005");
  s += b;
  s += hex("09");
  s += "TopicTest";
  s += hex("0009");
  s += "TAGS\x01TagA";
  return s;
}

TEST(PullResponse, GoldenFrameWithTwoRecords) {
  const std::string header =
      R"({"code":0,"extFields":{"maxOffset":"9","minOffset":"0","nextBeginOffset":"9","suggestWhichBrokerId":"0"},"flag":1,"language":"JAVA","opaque":5,"remark":"FOUND","serializeTypeCurrentRPC":"JSON","version":409})";
  // crc32("Hello") & 0x7FFFFFFF = 77D18982; the second record carries a zero CRC on purpose.
  std::string body = record("Hello", "77D18982", "0000000000000007", "0000000000001F40") +
                     record("World", "00000000", "0000000000000008", "0000000000001FB2");
  std::string frame;
  auto put32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) frame.push_back(static_cast<char>(v >> s));
  };
  put32(static_cast<uint32_t>(4 + header.size() + body.size()));
  put32(static_cast<uint32_t>(header.size()));
  frame += header;
  frame += body;

  remoting_command cmd;
  auto r = decode_frame(frame, cmd);
  ASSERT_EQ(r.status, decode_status::frame) << r.error;
  EXPECT_TRUE(cmd.is_response());
  EXPECT_EQ(cmd.remark, std::optional<std::string>("FOUND"));
  EXPECT_EQ(cmd.field_int("nextBeginOffset"), 9);
  EXPECT_EQ(cmd.field_int("suggestWhichBrokerId"), 0);
  EXPECT_EQ(encode_frame(cmd), frame);  // byte-exact both ways

  auto msgs = mq::decode_records(cmd.body, /*check_crc=*/false);
  ASSERT_TRUE(msgs) << msgs.error().message;
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].body, "Hello");
  EXPECT_EQ((*msgs)[0].msg_id, "0A00000500002A9F0000000000001F40");
  EXPECT_EQ((*msgs)[1].body, "World");
  EXPECT_EQ((*msgs)[1].queue_offset, 8);
  EXPECT_EQ((*msgs)[1].msg_id, "0A00000500002A9F0000000000001FB2");
  // The first record's CRC is right; the second's (zero) is caught when checked.
  EXPECT_TRUE(mq::decode_record(cmd.body, true));
  EXPECT_FALSE(mq::decode_records(cmd.body, true));
}

}  // namespace
}  // namespace mq::remoting
