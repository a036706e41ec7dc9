#include "mq/store/mapped_file.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "mq/store/mapped_file_queue.h"
#include "test_util.h"

namespace mq::store {
namespace {

TEST(MappedFile, NamesAreTwentyDigitOffsets) {
  EXPECT_EQ(offset_to_file_name(0), "00000000000000000000");
  EXPECT_EQ(offset_to_file_name(1073741824), "00000000001073741824");
}

TEST(MappedFile, AppendFlushAndWatermarks) {
  test::temp_dir d;
  std::string err;
  auto f = mapped_file::open(d.path + "/00000000000000000000", 0, 8192, &err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(std::filesystem::file_size(f->path()), 8192u);
  EXPECT_TRUE(f->append("hello"));
  EXPECT_EQ(f->wrote_position(), 5);
  EXPECT_EQ(f->flushed_position(), 0);
  EXPECT_EQ(f->flush(4), 0);  // fewer than 4 dirty pages: nothing
  EXPECT_EQ(f->flush(0), 5);
  EXPECT_EQ(f->flushed_position(), 5);
  EXPECT_FALSE(f->append(std::string(8192, 'x')));
  EXPECT_EQ(std::string(f->base(), 5), "hello");
}

TEST(MappedFile, ResetZeroesEverythingPastTheNewEnd) {
  test::temp_dir d;
  std::string err;
  auto f = mapped_file::open(d.path + "/00000000000000000000", 0, 8192, &err);
  ASSERT_TRUE(f);
  f->append(std::string(6000, 'a'));
  f->reset_positions(100, 100);
  EXPECT_EQ(f->wrote_position(), 100);
  for (int i = 100; i < 8192; ++i) ASSERT_EQ(f->base()[i], 0) << i;
  EXPECT_EQ(f->base()[99], 'a');
}

TEST(MappedFileQueue, RollsFindsTruncatesAndDeletes) {
  test::temp_dir d;
  mapped_file_queue q(d.path + "/log", 4096);
  std::string err;
  for (int i = 0; i < 3; ++i) {
    auto f = q.last_file_or_create(0, &err);
    ASSERT_TRUE(f) << err;
    f->append(std::string(4096, static_cast<char>('a' + i)));
  }
  EXPECT_EQ(q.files().size(), 3u);
  EXPECT_EQ(q.max_offset(), 3 * 4096);
  EXPECT_EQ(q.find_by_offset(5000)->from_offset(), 4096);
  EXPECT_EQ(q.find_by_offset(3 * 4096), nullptr);
  q.truncate_dirty(4096 + 10);
  EXPECT_EQ(q.files().size(), 2u);
  EXPECT_EQ(q.max_offset(), 4096 + 10);
  EXPECT_FALSE(std::filesystem::exists(d.path + "/log/00000000000000008192"));
  EXPECT_TRUE(q.flush(0));
  EXPECT_EQ(q.flushed_where(), 4096 + 10);
  // Never deletes the last file.
  EXPECT_EQ(q.delete_files_while([](const mapped_file&) { return true; }, 10), 1);
  EXPECT_EQ(q.min_offset(), 4096);
}

TEST(MappedFileQueue, LoadRejectsWrongSizesAndDropsAnIncompleteLastFile) {
  test::temp_dir d;
  {
    mapped_file_queue q(d.path, 4096);
    std::string err;
    q.last_file_or_create(0, &err)->append(std::string(4096, 'a'));
    q.last_file_or_create(0, &err)->append("b");
  }
  // An empty last file (a creation cut by a crash) is removed at load.
  std::filesystem::resize_file(d.path + "/00000000000000004096", 0);
  mapped_file_queue q2(d.path, 4096);
  std::string err;
  ASSERT_TRUE(q2.load(&err)) << err;
  EXPECT_EQ(q2.files().size(), 1u);
  // The wrong configured size is an error, not a silent remap.
  mapped_file_queue q3(d.path, 8192);
  EXPECT_FALSE(q3.load(&err));
  EXPECT_NE(err.find("differs"), std::string::npos);
}

TEST(MappedFileQueue, PreallocatesTheNextFile) {
  test::temp_dir d;
  mapped_file_queue q(d.path, 4096, /*preallocate=*/true, /*warm=*/true);
  std::string err;
  auto f = q.last_file_or_create(0, &err);
  ASSERT_TRUE(f);
  f->append(std::string(4096, 'a'));
  auto g = q.last_file_or_create(0, &err);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->from_offset(), 4096);
  EXPECT_EQ(g->wrote_position(), 0);
}

}  // namespace
}  // namespace mq::store
