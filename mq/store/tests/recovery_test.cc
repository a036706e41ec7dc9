// Crash safety with byte-level fault injection: drop everything unsynced,
// tear the last record at every byte, flip a byte in a middle record.
// Recovery must keep every record acknowledged under SYNC_FLUSH, cut the
// tail, and never return a bad record.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "mq/store/message_store.h"
#include "mq/store/record.h"
#include "open_store.h"
#include "test_util.h"

namespace mq::store {
namespace {

namespace fs = std::filesystem;
using test::make_put;

using test::open_store;

// Read the whole queue and check every record parses with a good CRC.
std::vector<std::string> read_queue(message_store& s, const std::string& topic, int32_t q) {
  std::vector<std::string> bodies;
  int64_t next = s.min_offset_in_queue(topic, q);
  for (int guard = 0; guard < 10000; ++guard) {
    auto g = s.get_message(topic, q, next, 32, 1 << 20, nullptr);
    if (g.status != get_status::found) break;
    std::string_view b = g.body;
    while (!b.empty()) {
      record_fields rf;
      EXPECT_EQ(parse_record(b, true, rf), parse_status::ok) << "a corrupt record was served";
      if (rf.total_size <= 0) return bodies;
      bodies.emplace_back(rf.body);
      b.remove_prefix(static_cast<size_t>(rf.total_size));
    }
    next = g.next_begin_offset;
  }
  return bodies;
}

std::string commit_log_file(const message_store_config& c, int64_t offset) {
  return c.commit_log_dir() + "/" + offset_to_file_name(offset);
}

TEST(Recovery, UnsyncedDataLostKeepsEveryAcknowledgedRecord) {
  test::temp_dir d;
  auto c = test::small_config(d.path, flush_disk_type::sync_flush);
  test::flush_recorder rec;
  mapped_file::set_flush_observer(&rec);
  std::vector<std::string> acked;
  {
    auto s = open_store(c);
    for (int i = 0; i < 200; ++i) {
      std::string body = "acked-" + std::to_string(i) + std::string(300, '.');
      ASSERT_TRUE(s->put(make_put("T", 0, body)).ok());
      acked.push_back(body);
    }
    // Not waited for: may or may not survive.
    for (int i = 0; i < 50; ++i) {
      auto p = make_put("T", 0, "unacked-" + std::to_string(i));
      p.wait_store_msg_ok = false;
      s->put(std::move(p));
    }
    s->halt_for_test();
  }
  mapped_file::set_flush_observer(nullptr);
  // Power loss: every byte past the last fdatasync of each file is gone
  // (here: replaced by zeros, and garbage in one place).
  for (auto& e : fs::directory_iterator(c.commit_log_dir())) {
    std::string p = e.path().string();
    int64_t flushed = rec.flushed(p);
    int64_t size = static_cast<int64_t>(fs::file_size(p));
    if (flushed < size) test::zero_range(p, flushed, size);
  }
  auto s = open_store(c);
  ASSERT_TRUE(s->recovered_abnormally());
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  auto bodies = read_queue(*s, "T", 0);
  ASSERT_GE(bodies.size(), acked.size());
  for (size_t i = 0; i < acked.size(); ++i) ASSERT_EQ(bodies[i], acked[i]) << i;
  // Writes continue right after what survived.
  auto r = s->put(make_put("T", 0, "after"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.queue_offset, static_cast<int64_t>(bodies.size()));
}

TEST(Recovery, TornLastRecordAtEveryBytePosition) {
  test::temp_dir base;
  auto c = test::small_config(base.path + "/orig");
  int64_t last_off = 0, last_size = 0;
  {
    auto s = open_store(c);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->put(make_put("T", 0, "keep-" + std::to_string(i))).ok());
    auto r = s->put(make_put("T", 0, "torn-record-body", {{"KEYS", "k"}}));
    ASSERT_TRUE(r.ok());
    last_off = r.wrote_offset;
    last_size = s->commit_log_max_offset() - last_off;
    ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
    s->halt_for_test();
  }
  for (int64_t cut = 0; cut <= last_size; ++cut) {
    std::string dir = base.path + "/cut" + std::to_string(cut);
    fs::copy(c.store_path_root_dir, dir, fs::copy_options::recursive);
    auto cc = test::small_config(dir);
    // Everything from byte `cut` of the last record on never reached disk.
    test::zero_range(commit_log_file(cc, 0), last_off + cut, cc.mapped_file_size_commit_log);
    {
      auto s = open_store(cc);
      ASSERT_TRUE(s) << "cut " << cut;
      ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
      auto bodies = read_queue(*s, "T", 0);
      size_t want = cut == last_size ? 6 : 5;
      ASSERT_EQ(bodies.size(), want) << "cut " << cut;
      for (int i = 0; i < 5; ++i) ASSERT_EQ(bodies[static_cast<size_t>(i)], "keep-" + std::to_string(i));
      EXPECT_EQ(s->commit_log_max_offset(), cut == last_size ? last_off + last_size : last_off) << cut;
      // The torn record is not findable by key either.
      EXPECT_EQ(s->query_by_key("T", "k", 10, 0, INT64_MAX).size(), cut == last_size ? 1u : 0u) << cut;
      auto r = s->put(make_put("T", 0, "next"));
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r.queue_offset, static_cast<int64_t>(want));
    }
    fs::remove_all(dir);
  }
}

TEST(Recovery, TornTailWithGarbageInsteadOfZeros) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  int64_t end = 0;
  {
    auto s = open_store(c);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->put(make_put("T", 0, "keep-" + std::to_string(i))).ok());
    end = s->commit_log_max_offset();
    s->halt_for_test();
  }
  // A half-written record header claiming a size, followed by junk.
  std::string junk = test::make_record("T", "junk-body-that-was-never-acked", "");
  int fd = ::open(commit_log_file(c, 0).c_str(), O_RDWR);
  ASSERT_GE(::pwrite(fd, junk.data(), junk.size() / 2, end), 0);
  ::close(fd);
  auto s = open_store(c);
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  EXPECT_EQ(read_queue(*s, "T", 0).size(), 5u);
  EXPECT_EQ(s->commit_log_max_offset(), end);
}

TEST(Recovery, FlippedByteInAMiddleRecordIsNeverServed) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  std::vector<int64_t> offsets;
  {
    auto s = open_store(c);
    for (int i = 0; i < 10; ++i) {
      auto r = s->put(make_put("T", 0, "body-" + std::to_string(i)));
      ASSERT_TRUE(r.ok());
      offsets.push_back(r.wrote_offset);
    }
    s->shutdown();  // even after a clean shutdown, the CRC check runs
  }
  // Flip a byte in the body of record 5 (body starts at offset 88 in a v4 record).
  test::flip_byte(commit_log_file(c, 0), offsets[5] + 88);
  auto s = open_store(c);
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  auto bodies = read_queue(*s, "T", 0);
  // RocketMQ's rule (CommitLog.checkMessageAndReturnSize): the log ends at
  // the first record that fails its check. Records before it are kept.
  ASSERT_EQ(bodies.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bodies[static_cast<size_t>(i)], "body-" + std::to_string(i));
  EXPECT_FALSE(s->read_record(offsets[5]));
  EXPECT_FALSE(s->read_record(offsets[7]));
  EXPECT_TRUE(s->read_record(offsets[4]));
}

TEST(Recovery, ConsumeQueueAheadOfTheCommitLogIsTrimmed) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  int64_t cut_at = 0;
  {
    auto s = open_store(c);
    for (int i = 0; i < 10; ++i) {
      auto r = s->put(make_put("T", 0, "m" + std::to_string(i)));
      if (i == 6) cut_at = r.wrote_offset;
    }
    ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
    s->shutdown();
  }
  // The consume queue (flushed) points past what the commit log kept.
  test::zero_range(commit_log_file(c, 0), cut_at, c.mapped_file_size_commit_log);
  std::ofstream(c.abort_path()).put('\n');
  auto s = open_store(c);
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  EXPECT_EQ(s->max_offset_in_queue("T", 0), 6);
  EXPECT_EQ(read_queue(*s, "T", 0).size(), 6u);
  EXPECT_EQ(s->put(make_put("T", 0, "new")).queue_offset, 6);
}

TEST(Recovery, LostConsumeQueueIsRebuiltFromTheCommitLog) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  {
    auto s = open_store(c);
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(s->put(make_put("T", i % 4, std::string(500, 'q'))).ok());
    s->halt_for_test();
  }
  fs::remove_all(c.consume_queue_dir());
  fs::remove_all(c.index_dir());
  auto s = open_store(c);
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  for (int q = 0; q < 4; ++q) EXPECT_EQ(s->max_offset_in_queue("T", q), 10) << q;
}

}  // namespace
}  // namespace mq::store
