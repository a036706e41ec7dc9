#include "mq/common/message_id.h"

#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(OffsetMsgId, DocumentExampleBothWays) {
  auto id = encode_offset_msg_id(socket_address::v4(10, 0, 0, 5, 10911), 8000);
  EXPECT_EQ(id, "0A00000500002A9F0000000000001F40");
  auto back = decode_offset_msg_id(id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->first.to_string(), "10.0.0.5:10911");
  EXPECT_EQ(back->second, 8000);
  EXPECT_TRUE(decode_offset_msg_id("0a00000500002a9f0000000000001f40"));
  EXPECT_FALSE(decode_offset_msg_id("0A00"));
  EXPECT_FALSE(decode_offset_msg_id("ZZ00000500002A9F0000000000001F40"));
}

TEST(OffsetMsgId, Ipv6Is56Chars) {
  auto a = *socket_address::parse("[2001:db8::5]:10911");
  auto id = encode_offset_msg_id(a, 1);
  EXPECT_EQ(id.size(), 56u);
  auto back = decode_offset_msg_id(id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->first, a);
}

TEST(SocketAddress, ParseAndPrint) {
  EXPECT_EQ(socket_address::parse("127.0.0.1:9876")->to_string(), "127.0.0.1:9876");
  EXPECT_EQ(socket_address::parse("[::ffff:10.1.2.3]:1")->to_string(), "10.1.2.3:1");  // v4-mapped
  EXPECT_FALSE(socket_address::parse("127.0.0.1"));
  EXPECT_FALSE(socket_address::parse("host:99999"));
  EXPECT_FALSE(socket_address::parse("not-an-ip:80"));
}

TEST(UniqueId, FormatAndUniquenessAcrossThreads) {
  unique_id_generator gen(socket_address::v4(192, 168, 1, 7, 0));
  auto first = gen.next();
  EXPECT_EQ(first.size(), 32u);
  EXPECT_EQ(first.substr(0, 8), "C0A80107");  // the IP leads
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 25000; ++i) per[static_cast<size_t>(t)].push_back(gen.next());
    });
  }
  for (auto& t : ts) t.join();
  std::set<std::string> all{first};
  for (auto& v : per) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 100001u);
  // The fixed prefix (ip + pid + hash) is the same for every id.
  for (auto& v : per) EXPECT_EQ(v.front().substr(0, 20), first.substr(0, 20));
}

}  // namespace
}  // namespace mq
