#include "mq/store/consume_queue.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace mq::store {
namespace {

TEST(ConsumeQueue, PutGetAcrossFilesAndReload) {
  test::temp_dir d;
  {
    consume_queue cq("T", 1, d.path, 10 * kCqUnitSize);
    for (int i = 0; i < 25; ++i) ASSERT_TRUE(cq.put(i * 100, 100, i, i));
    EXPECT_EQ(cq.max_offset(), 25);
    EXPECT_EQ(cq.min_offset(), 0);
    auto u = cq.get(13);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->commit_log_offset, 1300);
    EXPECT_EQ(u->size, 100);
    EXPECT_EQ(u->tags_code, 13);
    EXPECT_FALSE(cq.get(25));
    // A batch stops at a file end.
    EXPECT_EQ(cq.get_batch(8, 32).size(), 2u);
    // Re-dispatch of an existing unit changes nothing.
    EXPECT_TRUE(cq.put(999, 1, 1, 3));
    EXPECT_EQ(cq.get(3)->commit_log_offset, 300);
    EXPECT_TRUE(cq.flush(0));
  }
  consume_queue again("T", 1, d.path, 10 * kCqUnitSize);
  std::string err;
  ASSERT_TRUE(again.load(&err)) << err;
  again.recover();
  EXPECT_EQ(again.max_offset(), 25);
  EXPECT_EQ(again.max_physic_offset(), 24 * 100 + 100);
  again.truncate_dirty(1000);  // commit log was cut at 1000
  EXPECT_EQ(again.max_offset(), 10);
  EXPECT_EQ(again.max_physic_offset(), 1000);
}

TEST(ConsumeQueue, QueueStartingAboveZeroGetsBlankFillers) {
  test::temp_dir d;
  consume_queue cq("T", 0, d.path, 10 * kCqUnitSize);
  ASSERT_TRUE(cq.put(5000, 10, 0, 13));
  EXPECT_EQ(cq.min_offset(), 13);
  EXPECT_EQ(cq.max_offset(), 14);
  EXPECT_FALSE(cq.get(12));
  EXPECT_EQ(cq.get(13)->commit_log_offset, 5000);
}

TEST(ConsumeQueue, OffsetByTimeBinarySearch) {
  test::temp_dir d;
  consume_queue cq("T", 0, d.path, 100 * kCqUnitSize);
  for (int i = 0; i < 50; ++i) cq.put(i * 10, 10, 0, i);
  auto store_time = [](int64_t off, int32_t) { return 1000 + off;  /* offset i*10 stored at 1000+i*10 */ };
  EXPECT_EQ(cq.offset_by_time(0, store_time), 0);
  EXPECT_EQ(cq.offset_by_time(1000, store_time), 0);
  EXPECT_EQ(cq.offset_by_time(1001, store_time), 1);
  EXPECT_EQ(cq.offset_by_time(1250, store_time), 25);
  EXPECT_EQ(cq.offset_by_time(99999, store_time), 50);
}

TEST(ConsumeQueue, DeleteExpiredMovesMinOffset) {
  test::temp_dir d;
  consume_queue cq("T", 0, d.path, 10 * kCqUnitSize);
  for (int i = 0; i < 30; ++i) cq.put(i * 100, 100, 0, i);
  EXPECT_EQ(cq.delete_expired(1500), 1);  // file 0 (units 0-9, up to 1000) is gone
  EXPECT_EQ(cq.min_offset(), 15);
  EXPECT_FALSE(cq.get(14));
  EXPECT_TRUE(cq.get(15));
}

}  // namespace
}  // namespace mq::store
