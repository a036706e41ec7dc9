#include "mq/common/message.h"

#include <gtest/gtest.h>

#include "mq/common/message_const.h"

namespace mq {
namespace {

TEST(SocketAddress, ParseAndPrint) {
  auto a = socket_address::parse("10.0.0.5:10911");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->v6);
  EXPECT_EQ(a->ip_size(), 4u);
  EXPECT_EQ(a->port, 10911);
  EXPECT_EQ(*a, socket_address::v4(10, 0, 0, 5, 10911));
  EXPECT_EQ(a->to_string(), "10.0.0.5:10911");

  auto b = socket_address::parse("[::1]:10911");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->v6);
  EXPECT_EQ(b->ip_size(), 16u);
  EXPECT_EQ(b->ip[15], 1);
  EXPECT_EQ(b->to_string(), "[::1]:10911");
  EXPECT_EQ(socket_address::parse("[2001:db8::5]:0")->to_string(), "[2001:db8::5]:0");
}

TEST(SocketAddress, Ipv4MappedBecomesIpv4) {
  auto a = socket_address::parse("[::ffff:10.1.2.3]:1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->v6);
  EXPECT_EQ(a->to_string(), "10.1.2.3:1");
}

TEST(SocketAddress, RejectsBadText) {
  for (const char* bad :
       {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:8x", "host:80",
        "::1:80", "[::1]", "[::1]80", "[::1:80", "1.2.3:80", "[1.2.3.4]:80"}) {
    EXPECT_FALSE(socket_address::parse(bad)) << bad;
  }
  EXPECT_TRUE(socket_address::parse("0.0.0.0:65535"));
}

TEST(Message, PropertyAccess) {
  message m;
  EXPECT_EQ(m.property("X"), nullptr);
  m.put_property("X", "1");
  ASSERT_NE(m.property("X"), nullptr);
  EXPECT_EQ(*m.property("X"), "1");
  m.remove_property("X");
  EXPECT_EQ(m.property("X"), nullptr);
  m.remove_property("absent");
}

TEST(Message, TagsAndKeys) {
  message m;
  EXPECT_EQ(m.tags(), "");
  m.set_tags("TagA");
  EXPECT_EQ(m.tags(), "TagA");
  EXPECT_EQ(m.properties.at(std::string(property_tags)), "TagA");

  EXPECT_TRUE(m.keys().empty());
  m.set_keys({"order-1", "order-2"});
  EXPECT_EQ(*m.property(property_keys), "order-1 order-2");
  m.put_property("KEYS", " a  b ");
  EXPECT_EQ(m.keys(), (std::vector<std::string>{"a", "b"}));
}

TEST(Message, DelayLevel) {
  message m;
  EXPECT_EQ(m.delay_level(), 0);
  m.set_delay_level(3);
  EXPECT_EQ(*m.property(property_delay_time_level), "3");
  EXPECT_EQ(m.delay_level(), 3);
  m.put_property("DELAY", "+4");
  EXPECT_EQ(m.delay_level(), 4);
  for (const char* bad : {"", "x", "3x", "-1", "99999999999"}) {
    m.put_property("DELAY", bad);
    EXPECT_EQ(m.delay_level(), 0) << bad;
  }
}

TEST(Message, WaitStoreMsgOkIsJavaParseBoolean) {
  message m;
  EXPECT_TRUE(m.wait_store_msg_ok());  // absent = true
  m.set_wait_store_msg_ok(false);
  EXPECT_EQ(*m.property(property_wait_store_msg_ok), "false");
  EXPECT_FALSE(m.wait_store_msg_ok());
  m.set_wait_store_msg_ok(true);
  EXPECT_TRUE(m.wait_store_msg_ok());
  m.put_property("WAIT", "TRUE");
  EXPECT_TRUE(m.wait_store_msg_ok());
  m.put_property("WAIT", "yes");
  EXPECT_FALSE(m.wait_store_msg_ok());
}

TEST(Message, ExtIsAMessage) {
  message_ext e;
  e.topic = "T";
  e.set_tags("A");
  const message& base = e;
  EXPECT_EQ(base.tags(), "A");
  EXPECT_EQ(e.store_size, 0);
  EXPECT_FALSE(e.store_host.v6);
}

}  // namespace
}  // namespace mq
