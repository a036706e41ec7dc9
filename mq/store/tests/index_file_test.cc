#include "mq/store/index_file.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace mq::store {
namespace {

TEST(IndexFile, LayoutMatchesRocketMQ) {
  test::temp_dir d;
  std::string err;
  auto f = index_file::open(d.path + "/idx", 8, 16, &err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->index_count(), 1);  // entry 0 is never used
  ASSERT_TRUE(f->put_key("T#k1", 1234, 1700000005000));
  ASSERT_TRUE(f->flush());
  std::string raw = test::read_file(d.path + "/idx");
  ASSERT_EQ(raw.size(), 40u + 8 * 4 + 16 * 20);
  auto be64 = [&](size_t p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(raw[p + i]);
    return static_cast<int64_t>(v);
  };
  auto be32 = [&](size_t p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(raw[p + i]);
    return static_cast<int32_t>(v);
  };
  EXPECT_EQ(be64(0), 1700000005000);   // beginTimestamp
  EXPECT_EQ(be64(8), 1700000005000);   // endTimestamp
  EXPECT_EQ(be64(16), 1234);           // beginPhyOffset
  EXPECT_EQ(be64(24), 1234);           // endPhyOffset
  EXPECT_EQ(be32(32), 1);              // hashSlotCount
  EXPECT_EQ(be32(36), 2);              // indexCount
  int32_t hash = index_file::key_hash("T#k1");
  int slot = hash % 8;
  EXPECT_EQ(be32(40 + slot * 4), 1);   // slot -> entry 1
  size_t e = 40 + 8 * 4 + 1 * 20;
  EXPECT_EQ(be32(e), hash);
  EXPECT_EQ(be64(e + 4), 1234);
  EXPECT_EQ(be32(e + 12), 0);          // timeDiff
  EXPECT_EQ(be32(e + 16), 0);          // prevIndex
}

TEST(IndexFile, KeyHashIsAbsOfJavaHash) {
  // "T#k1": 'T'=84 '#'=35 'k'=107 '1'=49 -> ((84*31+35)*31+107)*31+49 = 2537451 + ... computed:
  int64_t h = 0;
  for (char c : std::string("T#k1")) h = static_cast<int32_t>(h * 31 + c);
  EXPECT_EQ(index_file::key_hash("T#k1"), static_cast<int32_t>(h < 0 ? -h : h));
}

TEST(IndexService, CollisionsTimeWindowAndRoll) {
  test::temp_dir d;
  // 1 slot: every key collides; 4 entries per file: rolls quickly.
  index_service idx(d.path, 1, 4);
  std::string err;
  ASSERT_TRUE(idx.load(&err));
  for (int i = 0; i < 10; ++i) {
    idx.build_index("T", "", i % 2 == 0 ? "even" : "odd", 100 * (i + 1), 1700000000000 + i * 1000);
  }
  auto even = idx.query("T", "even", 64, 0, INT64_MAX);
  ASSERT_EQ(even.size(), 5u);
  EXPECT_EQ(even.front(), 900);  // newest first
  EXPECT_EQ(even.back(), 100);
  auto windowed = idx.query("T", "odd", 64, 1700000003000, 1700000005000);
  ASSERT_EQ(windowed.size(), 2u);  // i=3 and i=5
  EXPECT_EQ(idx.query("T", "odd", 2, 0, INT64_MAX).size(), 2u);
  // Same slot, different key hash: not returned.
  EXPECT_TRUE(idx.query("U", "odd", 64, 0, INT64_MAX).empty());
}

TEST(IndexService, UniqKeyAndKeysAreIndexedAndReloaded) {
  test::temp_dir d;
  {
    index_service idx(d.path, 16, 100);
    std::string err;
    ASSERT_TRUE(idx.load(&err));
    idx.build_index("T", "UNIQ1", "a b", 500, 1700000000000);
    ASSERT_TRUE(idx.flush());
  }
  index_service idx(d.path, 16, 100);
  std::string err;
  ASSERT_TRUE(idx.load(&err));
  EXPECT_EQ(idx.query("T", "UNIQ1", 10, 0, INT64_MAX), std::vector<int64_t>{500});
  EXPECT_EQ(idx.query("T", "a", 10, 0, INT64_MAX), std::vector<int64_t>{500});
  EXPECT_EQ(idx.query("T", "b", 10, 0, INT64_MAX), std::vector<int64_t>{500});
  // Re-dispatch of an already indexed offset adds nothing.
  idx.build_index("T", "UNIQ1", "a b", 500, 1700000000000);
  EXPECT_EQ(idx.query("T", "a", 10, 0, INT64_MAX).size(), 1u);
}

}  // namespace
}  // namespace mq::store
