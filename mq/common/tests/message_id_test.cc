#include "mq/common/message_id.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <set>
#include <thread>
#include <unordered_set>

#include <gtest/gtest.h>
#include <unistd.h>

namespace mq {
namespace {

TEST(OffsetMsgId, DocumentExampleBothWays) {
  // §4.5: 10.0.0.5:10911 at offset 8000.
  auto id = encode_offset_msg_id(socket_address::v4(10, 0, 0, 5, 10911), 8000);
  EXPECT_EQ(id,
            "0A000005"
            "00002A9F"
            "0000000000001F40");
  auto back = decode_offset_msg_id(id);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->first, socket_address::v4(10, 0, 0, 5, 10911));
  EXPECT_EQ(back->second, 8000);
  auto lower = decode_offset_msg_id("0a00000500002a9f0000000000001f40");
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->second, 8000);
}

TEST(OffsetMsgId, LargeOffsetsAndHighBits) {
  auto id = encode_offset_msg_id(socket_address::v4(255, 1, 2, 3, 65535), 0x7FFFFFFFFFFFFFFFLL);
  EXPECT_EQ(id,
            "FF010203"
            "0000FFFF"
            "7FFFFFFFFFFFFFFF");
  auto back = decode_offset_msg_id(id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->first.port, 65535);
  EXPECT_EQ(back->second, 0x7FFFFFFFFFFFFFFFLL);
}

TEST(OffsetMsgId, Ipv6Is56Chars) {
  auto a = *socket_address::parse("[2001:db8::5]:10911");
  auto id = encode_offset_msg_id(a, 1);
  EXPECT_EQ(id,
            "20010DB8000000000000000000000005"
            "00002A9F"
            "0000000000000001");
  auto back = decode_offset_msg_id(id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->first, a);
  EXPECT_EQ(back->second, 1);
}

TEST(OffsetMsgId, BadIdsAreErrors) {
  EXPECT_FALSE(decode_offset_msg_id(""));
  EXPECT_FALSE(decode_offset_msg_id("0A00"));
  EXPECT_FALSE(decode_offset_msg_id("0A00000500002A9F0000000000001F4"));    // 31 chars
  EXPECT_FALSE(decode_offset_msg_id("0A00000500002A9F0000000000001F400"));  // 33 chars
  EXPECT_FALSE(decode_offset_msg_id("ZZ00000500002A9F0000000000001F40"));
  EXPECT_FALSE(decode_offset_msg_id("0A00000500002A9F0000000000001F4 "));
  EXPECT_EQ(decode_offset_msg_id("0A00").error().code, errc::invalid_argument);
}

TEST(UniqueId, Format) {
  unique_id_generator gen(socket_address::v4(192, 168, 1, 7, 0));
  auto id = gen.next();
  ASSERT_EQ(id.size(), 32u);
  EXPECT_EQ(id.substr(0, 8), "C0A80107");  // the IP leads
  for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) << id;
  char pid[5];
  std::snprintf(pid, sizeof pid, "%04X", static_cast<unsigned>(::getpid()) & 0xFFFF);
  EXPECT_EQ(id.substr(8, 4), pid);
  unique_id_generator v6(*socket_address::parse("[2001:db8::7]:0"));
  EXPECT_EQ(v6.next().size(), 56u);
}

TEST(UniqueId, UniqueAcross100kIdsFromFourThreads) {
  unique_id_generator gen(socket_address::v4(192, 168, 1, 7, 0));
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> ts;
  for (size_t t = 0; t < 4; ++t) {
    ts.emplace_back([&gen, &ids = per[t]] {
      ids.reserve(25000);
      for (int i = 0; i < 25000; ++i) ids.push_back(gen.next());
    });
  }
  for (auto& t : ts) t.join();
  std::unordered_set<std::string> all;
  for (auto& v : per) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 100000u);
  // The first 12 bytes (ip + pid + random) are the same for every id.
  for (auto& v : per) EXPECT_EQ(v.front().substr(0, 20), per[0].front().substr(0, 20));
}

// A frozen clock: 2024-03-15 (any fixed instant will do).
std::atomic<int64_t> fake_now{1710500000000};
int64_t fake_clock() {
  return fake_now.load();
}

TEST(UniqueId, CounterWrapWithinOneMillisecondMovesTheTimePart) {
  fake_now = 1710500000000;
  unique_id_generator gen(socket_address::v4(10, 0, 0, 1, 0), &fake_clock);
  std::set<std::string> ids;
  std::set<std::string> time_parts;
  for (int i = 0; i < 70000; ++i) {
    auto id = gen.next();
    ids.insert(id);
    time_parts.insert(id.substr(20, 8));
  }
  EXPECT_EQ(ids.size(), 70000u);
  EXPECT_EQ(time_parts.size(), 2u);  // 65536 ids at t, the rest at t + 1
  auto it = time_parts.begin();
  EXPECT_EQ(std::stoul(*std::next(it), nullptr, 16), std::stoul(*it, nullptr, 16) + 1);
}

TEST(UniqueId, ClockSteppingBackDoesNotRepeatIds) {
  fake_now = 1710500000000;
  unique_id_generator gen(socket_address::v4(10, 0, 0, 1, 0), &fake_clock);
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.insert(gen.next());
  fake_now -= 5000;
  for (int i = 0; i < 10; ++i) ids.insert(gen.next());
  fake_now += 100000;
  for (int i = 0; i < 10; ++i) ids.insert(gen.next());
  EXPECT_EQ(ids.size(), 30u);
}

TEST(UniqueId, TimePartIsMillisecondsSinceTheMonthStarted) {
  // Local midnight of the 1st of a month, plus 1234 ms.
  std::tm tm{};
  tm.tm_year = 124;
  tm.tm_mon = 2;
  tm.tm_mday = 1;
  tm.tm_isdst = -1;
  fake_now = static_cast<int64_t>(std::mktime(&tm)) * 1000 + 1234;
  unique_id_generator gen(socket_address::v4(10, 0, 0, 1, 0), &fake_clock);
  auto id = gen.next();
  EXPECT_EQ(id.substr(20, 8), "000004D2");  // 1234
  EXPECT_EQ(id.substr(28, 4), "0000");      // counter
  EXPECT_EQ(gen.next().substr(28, 4), "0001");
}

}  // namespace
}  // namespace mq
