#include "mq/remoting/remoting_command.h"

#include <gtest/gtest.h>

#include "mq/remoting/frame.h"

namespace mq::remoting {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

// rocketmq-protocol.md §1.1 worked example, typed in from the document.
const std::string kRouteHeaderJson =
    R"({"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":1,"serializeTypeCurrentRPC":"JSON","version":409})";

TEST(JsonHeader, EncodesTheDocumentExampleByteForByte) {
  auto cmd = remoting_command::request(request_code::GET_ROUTEINFO_BY_TOPIC);
  cmd.opaque = 1;
  cmd.set("topic", "TopicTest");
  EXPECT_EQ(encode_json_header(cmd), kRouteHeaderJson);
  ASSERT_EQ(kRouteHeaderJson.size(), 131u);
  std::string frame = encode_frame(cmd);
  EXPECT_EQ(frame.substr(0, 8), bytes({0, 0, 0, 0x87, 0, 0, 0, 0x83}));
  EXPECT_EQ(frame.substr(8), kRouteHeaderJson);
}

TEST(JsonHeader, DecodesTheDocumentExample) {
  remoting_command cmd;
  std::string err;
  ASSERT_TRUE(decode_json_header(kRouteHeaderJson, cmd, &err)) << err;
  EXPECT_EQ(cmd.code, 105);
  EXPECT_EQ(cmd.opaque, 1);
  EXPECT_EQ(cmd.version, 409);
  EXPECT_EQ(cmd.flag, 0);
  EXPECT_EQ(cmd.language, language_code::JAVA);
  EXPECT_FALSE(cmd.remark.has_value());
  ASSERT_NE(cmd.field("topic"), nullptr);
  EXPECT_EQ(*cmd.field("topic"), "TopicTest");
}

TEST(JsonHeader, AcceptsAliOnsNonStringScalarsAndNull) {
  // ali-ons copies raw JS values into extFields (§1.3 / §7).
  const std::string h =
      R"({"code":310,"language":"JAVA","version":121,"opaque":7,"flag":0,"remark":"","extFields":{"a":"pg","e":0,"g":1700000000000,"k":false,"l":null,"x":1.5e3}})";
  remoting_command cmd;
  std::string err;
  ASSERT_TRUE(decode_json_header(h, cmd, &err)) << err;
  EXPECT_EQ(*cmd.field("a"), "pg");
  EXPECT_EQ(*cmd.field("e"), "0");
  EXPECT_EQ(*cmd.field("g"), "1700000000000");
  EXPECT_EQ(*cmd.field("k"), "false");
  EXPECT_EQ(cmd.field("l"), nullptr);
  EXPECT_EQ(*cmd.field("x"), "1500");
  EXPECT_EQ(cmd.remark, std::optional<std::string>(""));
  EXPECT_EQ(cmd.field_int("g"), 1700000000000);
}

TEST(JsonHeader, UnknownLanguageAndFieldsAreAccepted) {
  remoting_command cmd;
  ASSERT_TRUE(decode_json_header(R"({"code":34,"language":"COBOL","future":[1,2],"opaque":3})", cmd, nullptr));
  EXPECT_EQ(cmd.language, language_code::OTHER);
  EXPECT_EQ(cmd.opaque, 3);
}

TEST(JsonHeader, RejectsHeadersThatAreNotCommands) {
  remoting_command cmd;
  std::string err;
  EXPECT_FALSE(decode_json_header("", cmd, &err));
  EXPECT_FALSE(decode_json_header("[1,2]", cmd, &err));
  EXPECT_FALSE(decode_json_header(R"({"opaque":1})", cmd, &err));
  EXPECT_FALSE(decode_json_header(R"({"code":"105"})", cmd, &err));
  EXPECT_FALSE(decode_json_header(R"({"code":99999999999})", cmd, &err));
  EXPECT_FALSE(decode_json_header(R"({"code":1,"extFields":[]})", cmd, &err));
  EXPECT_FALSE(decode_json_header(R"({"code":1,)", cmd, &err));
  EXPECT_FALSE(err.empty());
}

// A SEND_MESSAGE_V2 request header as the Java 4.9.8 producer writes it,
// typed in by hand from §2.1 and §1.3 (sorted keys, \u0001/\u0002 escapes).
const std::string kSendV2Header =
    "{\"code\":310,\"extFields\":{\"a\":\"pg1\",\"b\":\"TopicTest\",\"c\":\"TBW102\",\"d\":\"4\",\"e\":\"2\","
    "\"f\":\"0\",\"g\":\"1700000000000\",\"h\":\"0\",\"i\":\"KEYS\\u0001order-1\\u0002TAGS\\u0001TagA"
    "\\u0002WAIT\\u0001true\",\"j\":\"0\",\"k\":\"false\",\"m\":\"false\",\"n\":\"broker-a\"},\"flag\":0,"
    "\"language\":\"JAVA\",\"opaque\":42,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}";

TEST(SendMessageV2, GoldenRequestRoundTrips) {
  std::string body = "hello";
  std::string frame;
  auto put32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) frame.push_back(static_cast<char>(v >> s));
  };
  put32(static_cast<uint32_t>(4 + kSendV2Header.size() + body.size()));
  put32(static_cast<uint32_t>(kSendV2Header.size()));
  frame += kSendV2Header;
  frame += body;

  remoting_command cmd;
  auto r = decode_frame(frame, cmd);
  ASSERT_EQ(r.status, decode_status::frame) << r.error;
  EXPECT_EQ(r.consumed, frame.size());
  EXPECT_EQ(cmd.code, request_code::SEND_MESSAGE_V2);
  EXPECT_EQ(cmd.opaque, 42);
  EXPECT_EQ(*cmd.field("b"), "TopicTest");
  EXPECT_EQ(*cmd.field("i"), std::string("KEYS\x01order-1\x02TAGS\x01TagA\x02WAIT\x01true"));
  EXPECT_EQ(cmd.body, "hello");
  // Our encoder writes exactly the same bytes back.
  EXPECT_EQ(encode_frame(cmd), frame);
}

// §1.4 worked example, typed in from the document.
TEST(RocketmqHeader, GoldenExampleBothWays) {
  std::string frame = bytes({0, 0, 0, 0x2d, 1, 0, 0, 0x29, 0, 0x69, 0, 1, 0x99, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                             0, 0, 0, 0, 0x14, 0, 5}) +
                      "topic" + bytes({0, 0, 0, 9}) + "TopicTest";
  remoting_command cmd;
  auto r = decode_frame(frame, cmd);
  ASSERT_EQ(r.status, decode_status::frame) << r.error;
  EXPECT_EQ(cmd.type, serialize_type::rocketmq);
  EXPECT_EQ(cmd.code, 105);
  EXPECT_EQ(cmd.version, 409);
  EXPECT_EQ(cmd.opaque, 1);
  EXPECT_EQ(*cmd.field("topic"), "TopicTest");
  EXPECT_EQ(encode_frame(cmd), frame);
}

TEST(RocketmqHeader, TruncationAtEveryByteIsRejectedSafely) {
  auto cmd = remoting_command::request(request_code::PULL_MESSAGE);
  cmd.type = serialize_type::rocketmq;
  cmd.remark = "why";
  cmd.set("consumerGroup", "cg");
  cmd.set("queueOffset", 12);
  std::string h = encode_rocketmq_header(cmd);
  remoting_command back;
  ASSERT_TRUE(decode_rocketmq_header(h, back, nullptr));
  EXPECT_EQ(back.remark, std::optional<std::string>("why"));
  EXPECT_EQ(back.field_int("queueOffset"), 12);
  for (size_t n = 0; n < h.size(); ++n) {
    remoting_command partial;
    EXPECT_FALSE(decode_rocketmq_header(std::string_view(h).substr(0, n), partial, nullptr)) << n;
  }
}

TEST(RocketmqHeader, LyingLengthsAreRejected) {
  // remarkLength claims 2 GiB.
  std::string h = bytes({0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff});
  remoting_command cmd;
  EXPECT_FALSE(decode_rocketmq_header(h, cmd, nullptr));
  // extFields entry value length past the extFields block.
  std::string h2 = bytes({0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 1, 'k', 0, 0, 0, 9, 'v'});
  EXPECT_FALSE(decode_rocketmq_header(h2, cmd, nullptr));
}

TEST(Response, CopiesOpaqueTypeAndSetsFlag) {
  auto req = remoting_command::request(request_code::HEART_BEAT);
  req.opaque = 99;
  req.type = serialize_type::rocketmq;
  auto resp = remoting_command::response_to(req, response_code::SUCCESS);
  EXPECT_EQ(resp.opaque, 99);
  EXPECT_TRUE(resp.is_response());
  EXPECT_EQ(resp.type, serialize_type::rocketmq);
}

TEST(Fields, IntParsingFollowsJava) {
  remoting_command c;
  c.set("a", "42");
  c.set("b", "+7");
  c.set("c", "4x");
  c.set("d", "");
  c.set("e", "-9223372036854775808");
  EXPECT_EQ(c.field_int("a"), 42);
  EXPECT_EQ(c.field_int("b"), 7);
  EXPECT_EQ(c.field_int("c"), std::nullopt);
  EXPECT_EQ(c.field_int("d"), std::nullopt);
  EXPECT_EQ(c.field_int("e"), INT64_MIN);
  EXPECT_EQ(c.field_int("missing"), std::nullopt);
}

TEST(Fields, ControlCharactersAreEscapedAsFastjsonDoes) {
  auto c = remoting_command::request(10);
  c.set("i", std::string("A\x01" "B\x02" "\x1f\"\\"));
  std::string h = encode_json_header(c);
  EXPECT_NE(h.find(R"("i":"A\u0001B\u0002\u001f\"\\")"), std::string::npos) << h;
  remoting_command back;
  ASSERT_TRUE(decode_json_header(h, back, nullptr));
  EXPECT_EQ(*back.field("i"), *c.field("i"));
}

}  // namespace
}  // namespace mq::remoting
