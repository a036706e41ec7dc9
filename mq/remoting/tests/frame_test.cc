#include "mq/remoting/frame.h"

#include <gtest/gtest.h>

namespace mq::remoting {
namespace {

std::string be32(uint32_t v) {
  std::string s;
  for (int sh = 24; sh >= 0; sh -= 8) s.push_back(static_cast<char>(v >> sh));
  return s;
}

remoting_command sample() {
  auto c = remoting_command::request(request_code::SEND_MESSAGE_V2);
  c.opaque = 5;
  c.set("b", "TopicTest");
  c.body = std::string(300, 'x');
  return c;
}

TEST(Frame, NeedsMoreAtEveryPrefixThenDecodes) {
  std::string f = encode_frame(sample());
  for (size_t n = 0; n < f.size(); ++n) {
    remoting_command out;
    auto r = decode_frame(std::string_view(f).substr(0, n), out);
    ASSERT_EQ(r.status, decode_status::need_more) << n;
    EXPECT_GT(r.needed, n);
    EXPECT_LE(r.needed, f.size());
  }
  remoting_command out;
  auto r = decode_frame(f + "trailing", out);
  ASSERT_EQ(r.status, decode_status::frame);
  EXPECT_EQ(r.consumed, f.size());
  EXPECT_EQ(out.body, std::string(300, 'x'));
}

TEST(Frame, TwoFramesBackToBack) {
  std::string f = encode_frame(sample());
  auto c2 = remoting_command::request(request_code::HEART_BEAT);
  c2.opaque = 6;
  std::string both = f + encode_frame(c2);
  remoting_command a, b;
  auto r1 = decode_frame(both, a);
  ASSERT_EQ(r1.status, decode_status::frame);
  auto r2 = decode_frame(std::string_view(both).substr(r1.consumed), b);
  ASSERT_EQ(r2.status, decode_status::frame);
  EXPECT_EQ(a.opaque, 5);
  EXPECT_EQ(b.opaque, 6);
  EXPECT_TRUE(b.body.empty());
}

TEST(Frame, NegativeOrTinyLengthIsBadLength) {
  remoting_command out;
  EXPECT_EQ(decode_frame(be32(0xFFFFFFFF) + be32(0), out).status, decode_status::bad_length);
  EXPECT_EQ(decode_frame(be32(3) + be32(0), out).status, decode_status::bad_length);
  EXPECT_EQ(decode_frame(be32(0x80000000), out).status, decode_status::bad_length);
}

TEST(Frame, OversizeIsRejectedBeforeTheBodyArrives) {
  remoting_command out;
  // Only 8 bytes present; the decoder must not ask for 16 MiB + 1.
  auto r = decode_frame(be32(16 * 1024 * 1024 + 1) + be32(10), out);
  EXPECT_EQ(r.status, decode_status::too_large);
  auto r2 = decode_frame(be32(1000), out, /*max_frame_size=*/999);
  EXPECT_EQ(r2.status, decode_status::too_large);
}

TEST(Frame, HeaderLongerThanFrameIsBadLength) {
  remoting_command out;
  auto r = decode_frame(be32(10) + be32(7), out);
  EXPECT_EQ(r.status, decode_status::bad_length);
}

TEST(Frame, UnknownSerializeTypeIsBadHeader) {
  remoting_command out;
  auto r = decode_frame(be32(6) + be32(0x02000002) + "{}", out);
  EXPECT_EQ(r.status, decode_status::bad_header);
}

TEST(Frame, GarbageJsonIsBadHeader) {
  remoting_command out;
  std::string h = "{not json";
  auto r = decode_frame(be32(4 + h.size()) + be32(h.size()) + h, out);
  EXPECT_EQ(r.status, decode_status::bad_header);
  EXPECT_FALSE(r.error.empty());
}

TEST(Frame, ZeroLengthBodyIsNoBody) {
  std::string h = R"({"code":0,"flag":1,"opaque":3})";
  remoting_command out;
  auto r = decode_frame(be32(4 + h.size()) + be32(h.size()) + h, out);
  ASSERT_EQ(r.status, decode_status::frame);
  EXPECT_TRUE(out.body.empty());
  EXPECT_TRUE(out.is_response());
}

}  // namespace
}  // namespace mq::remoting
