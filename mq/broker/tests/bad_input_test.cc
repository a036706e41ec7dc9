// Hostile and malformed input: garbage bytes, truncated frames, absurd
// declared lengths, unknown codes and absurd header values get an error or a
// closed connection; nothing crashes, nothing is stored, and the broker keeps
// serving other clients.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include <gtest/gtest.h>

#include "broker_fixture.h"
#include "mq/remoting/frame.h"
#include "mq/store/message_store.h"

namespace mq::broker::test {
namespace {

namespace rc = remoting::response_code;
namespace req = remoting::request_code;

// A raw TCP connection to the broker.
struct raw_conn {
  int fd = -1;
  explicit raw_conn(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~raw_conn() { ::close(fd); }
  void write_all(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may already have closed
      off += static_cast<size_t>(n);
    }
  }
  // True when the server closed the connection (read returns 0 or reset).
  bool closed_by_server() {
    char buf[4096];
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }
};

std::string be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
  return s;
}

uint16_t port_of(cluster& c) { return c.broker->port(); }

void expect_still_serving(cluster& c) {
  auto resp = c.send("Alive", "ping", 0);
  EXPECT_EQ(resp.code, rc::SUCCESS);
}

TEST(BrokerBadInput, GarbageBytesCloseOnlyThatConnection) {
  cluster c;
  raw_conn conn(port_of(c));
  conn.write_all(std::string("\x00\x00\x00\x10GARBAGEGARBAGE!!", 20));
  EXPECT_TRUE(conn.closed_by_server());
  expect_still_serving(c);
}

TEST(BrokerBadInput, HugeDeclaredLengthIsRefusedWithoutBuffering) {
  cluster c;
  raw_conn conn(port_of(c));
  conn.write_all(be32(100 * 1024 * 1024) + be32(20) + std::string(64, 'x'));
  EXPECT_TRUE(conn.closed_by_server());
  raw_conn neg(port_of(c));
  neg.write_all(be32(0xFFFFFFF0u) + be32(0xFFFFFFF0u));
  EXPECT_TRUE(neg.closed_by_server());
  expect_still_serving(c);
}

TEST(BrokerBadInput, TruncatedFrameThenHangUp) {
  cluster c;
  {
    raw_conn conn(port_of(c));
    auto r = remoting::remoting_command::request(req::SEND_MESSAGE_V2);
    r.set("b", "Alive");
    r.body = "half";
    auto frame = remoting::encode_frame(r);
    conn.write_all(frame.substr(0, frame.size() / 2));
  }
  expect_still_serving(c);
}

TEST(BrokerBadInput, RandomFramesNeverCrashTheBroker) {
  cluster c;
  std::mt19937 rng(12345);
  for (int i = 0; i < 300; ++i) {
    raw_conn conn(port_of(c));
    std::string payload(rng() % 200, '\0');
    for (auto& ch : payload) ch = static_cast<char>(rng());
    uint32_t header_len = static_cast<uint32_t>(rng() % (payload.size() + 1));
    if (rng() % 2) header_len |= 0x01000000;  // claim the ROCKETMQ header type
    conn.write_all(be32(static_cast<uint32_t>(4 + payload.size())) + be32(header_len) + payload);
  }
  expect_still_serving(c);
}

TEST(BrokerBadInput, UnknownCodeIsNotSupported) {
  cluster c;
  auto res = c.call(remoting::remoting_command::request(9999));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res.response.code, rc::REQUEST_CODE_NOT_SUPPORTED);
}

TEST(BrokerBadInput, AbsurdHeaderValuesGetErrors) {
  cluster c;
  ASSERT_EQ(c.create_topic("Absurd", 2).code, rc::SUCCESS);
  ASSERT_EQ(c.send("Absurd", "one", 0).code, rc::SUCCESS);

  EXPECT_EQ(c.pull("G", "Absurd", -1, 0).code, rc::SYSTEM_ERROR);
  EXPECT_EQ(c.pull("G", "Absurd", 1 << 30, 0).code, rc::SYSTEM_ERROR);
  EXPECT_EQ(c.pull("G", "Absurd", 0, -5).code, rc::SYSTEM_ERROR);
  auto far = c.pull("G", "Absurd", 0, INT64_MAX);
  EXPECT_EQ(far.code, rc::PULL_OFFSET_MOVED);

  // A huge maxMsgNums is capped, not honoured with a huge allocation.
  auto r = remoting::remoting_command::request(req::PULL_MESSAGE);
  for (auto [k, v] : std::map<std::string, std::string>{{"consumerGroup", "G"},
                                                        {"topic", "Absurd"},
                                                        {"queueId", "0"},
                                                        {"queueOffset", "0"},
                                                        {"maxMsgNums", "2147483647"},
                                                        {"sysFlag", "4"},
                                                        {"commitOffset", "0"},
                                                        {"suspendTimeoutMillis", "9223372036854775807"},
                                                        {"subscription", "*"},
                                                        {"subVersion", "0"}}) {
    r.set(k, v);
  }
  auto big = c.call(r);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big.response.code, rc::SUCCESS);

  // Non-numeric and missing required fields name the field.
  r.set("queueOffset", "abc");
  auto nn = c.call(r).response;
  EXPECT_EQ(nn.code, rc::SYSTEM_ERROR);
  EXPECT_NE(nn.remark.value_or("").find("queueOffset"), std::string::npos);

  auto s = remoting::remoting_command::request(req::SEND_MESSAGE_V2);
  s.set("b", "Absurd");
  s.body = "x";
  auto sr = c.call(s).response;
  EXPECT_EQ(sr.code, rc::SYSTEM_ERROR);
  EXPECT_EQ(c.send("Absurd", "x", 1 << 30).code, rc::SYSTEM_ERROR);
  EXPECT_EQ(c.send("Absurd", "x", -7).code, rc::SUCCESS);  // a negative id picks a queue

  auto hb = remoting::remoting_command::request(req::HEART_BEAT);
  hb.body = "[1,2,3";
  EXPECT_EQ(c.call(hb).response.code, rc::SYSTEM_ERROR);
  hb.body = R"({"clientID":"x","consumerDataSet":[{"groupName":"G","subscriptionDataSet":[{"topic":5}]}]})";
  EXPECT_EQ(c.call(hb).response.code, rc::SYSTEM_ERROR);

  auto sg = remoting::remoting_command::request(req::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
  sg.body = R"({"groupName":"X","retryQueueNums":"many"})";
  EXPECT_EQ(c.call(sg).response.code, rc::SYSTEM_ERROR);

  auto t = remoting::remoting_command::request(req::UPDATE_AND_CREATE_TOPIC);
  for (auto [k, v] : std::map<std::string, std::string>{{"topic", "Huge"},
                                                        {"defaultTopic", "TBW102"},
                                                        {"readQueueNums", "100000000"},
                                                        {"writeQueueNums", "100000000"},
                                                        {"perm", "6"},
                                                        {"topicFilterType", "SINGLE_TAG"}}) {
    t.set(k, v);
  }
  EXPECT_EQ(c.call(t).response.code, rc::SYSTEM_ERROR);
  // Only the valid sends were stored.
  ASSERT_TRUE(c.broker->message_store().wait_dispatched(5s));
  EXPECT_EQ(c.broker->message_store().max_offset_in_queue("Absurd", 0) +
                c.broker->message_store().max_offset_in_queue("Absurd", 1),
            2);
  expect_still_serving(c);
}

}  // namespace
}  // namespace mq::broker::test
