#include "mq/store/message_store.h"

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "mq/common/tag_hash.h"
#include "mq/store/record.h"
#include "open_store.h"
#include "test_util.h"

namespace mq::store {
namespace {

using test::make_put;

using test::open_store;

TEST(MessageStore, PutGetRoundTripAcrossFileRolls) {
  test::temp_dir d;
  auto s = open_store(test::small_config(d.path));
  ASSERT_TRUE(s);
  // ~1 KiB records in 64 KiB files: ~60 per file, 300 records = 5+ files.
  for (int i = 0; i < 300; ++i) {
    auto r = s->put(make_put("T", i % 2, std::string(1000, 'a' + i % 26) + std::to_string(i), {{"TAGS", "A"}}));
    ASSERT_TRUE(r.ok()) << to_string(r.status) << " " << r.error;
    EXPECT_EQ(r.queue_offset, i / 2);
  }
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  EXPECT_EQ(s->max_offset_in_queue("T", 0), 150);
  EXPECT_EQ(s->max_offset_in_queue("T", 1), 150);
  int64_t next = 0;
  int seen = 0;
  while (next < 150) {
    auto g = s->get_message("T", 1, next, 32, 256 * 1024, nullptr);
    ASSERT_EQ(g.status, get_status::found);
    std::string_view body = g.body;
    while (!body.empty()) {
      record_fields rf;
      ASSERT_EQ(parse_record(body, true, rf), parse_status::ok);
      int i = 2 * seen + 1;
      EXPECT_EQ(std::string(rf.body), std::string(1000, 'a' + i % 26) + std::to_string(i));
      EXPECT_EQ(rf.queue_offset, seen);
      EXPECT_EQ(rf.topic, "T");
      EXPECT_GT(rf.store_timestamp, 0);
      // The physical offset inside the record is where it really is.
      auto again = s->read_record(rf.physical_offset);
      ASSERT_TRUE(again);
      EXPECT_EQ(*again, std::string(body.substr(0, static_cast<size_t>(rf.total_size))));
      body.remove_prefix(static_cast<size_t>(rf.total_size));
      ++seen;
    }
    next = g.next_begin_offset;
  }
  EXPECT_EQ(seen, 150);
  EXPECT_GT(s->commit_log_max_offset(), 4 * 64 * 1024);
}

TEST(MessageStore, PutAsyncAnswersAfterTheSyncOrAtOnce) {
  for (auto flush : {flush_disk_type::sync_flush, flush_disk_type::async_flush}) {
    test::temp_dir d;
    auto s = open_store(test::small_config(d.path, flush));
    ASSERT_TRUE(s);
    std::atomic<int> ok{0};
    for (int i = 0; i < 100; ++i) {
      s->put_async(make_put("A", 0, "body" + std::to_string(i), {}), [&](put_result r) {
        if (r.ok()) ok++;
      });
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (ok.load() < 100 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(ok.load(), 100);
    if (flush == flush_disk_type::sync_flush) {
      EXPECT_GT(s->stats().group_commit_released, 0u);
    }
    // Refusals come back through the callback too.
    put_result bad;
    put_request req = make_put("A", 0, "x", {});
    req.records[0] = "garbage";
    s->put_async(std::move(req), [&](put_result r) { bad = std::move(r); });
    EXPECT_EQ(bad.status, put_status::message_illegal);
    ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
    EXPECT_EQ(s->max_offset_in_queue("A", 0), 100);
  }
}

TEST(MessageStore, GetStatusesFollowRocketMQ) {
  test::temp_dir d;
  auto s = open_store(test::small_config(d.path));
  EXPECT_EQ(s->get_message("none", 0, 0, 32, 1 << 20, nullptr).status, get_status::no_matched_logic_queue);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->put(make_put("T", 0, "m")).ok());
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  auto one = s->get_message("T", 0, 3, 32, 1 << 20, nullptr);
  EXPECT_EQ(one.status, get_status::offset_overflow_one);
  EXPECT_EQ(one.next_begin_offset, 3);
  auto bad = s->get_message("T", 0, 9, 32, 1 << 20, nullptr);
  EXPECT_EQ(bad.status, get_status::offset_overflow_badly);
  EXPECT_EQ(bad.next_begin_offset, 3);
  auto ok = s->get_message("T", 0, 1, 32, 1 << 20, nullptr);
  EXPECT_EQ(ok.status, get_status::found);
  EXPECT_EQ(ok.msg_count, 2);
  EXPECT_EQ(ok.next_begin_offset, 3);
  EXPECT_EQ(ok.min_offset, 0);
  EXPECT_EQ(ok.max_offset, 3);
  EXPECT_STREQ(to_string(get_status::offset_overflow_one), "OFFSET_OVERFLOW_ONE");
}

TEST(MessageStore, TagFilterOnConsumeQueue) {
  test::temp_dir d;
  auto s = open_store(test::small_config(d.path));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->put(make_put("T", 0, "m" + std::to_string(i), {{"TAGS", i % 2 ? "B" : "A"}})).ok());
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  int64_t a = mq::java_string_hash("A");
  auto g = s->get_message("T", 0, 0, 32, 1 << 20, [a](int64_t code) { return code == a; });
  EXPECT_EQ(g.status, get_status::found);
  EXPECT_EQ(g.msg_count, 5);
  EXPECT_EQ(g.next_begin_offset, 10);
  auto none = s->get_message("T", 0, 0, 32, 1 << 20, [](int64_t) { return false; });
  EXPECT_EQ(none.status, get_status::no_matched_message);
  EXPECT_EQ(none.next_begin_offset, 10);
}

TEST(MessageStore, BatchesLargeAndEmptyBodiesAndLimits) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  auto s = open_store(c);
  put_request batch;
  batch.topic = "B";
  batch.queue_id = 0;
  for (int i = 0; i < 5; ++i) batch.records.push_back(test::make_record("B", "batch" + std::to_string(i), ""));
  auto r = s->put(batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.msg_num, 5);
  EXPECT_EQ(r.queue_offset, 0);
  ASSERT_EQ(r.offsets.size(), 5u);
  ASSERT_TRUE(s->put(make_put("B", 0, "")).ok());                      // empty body
  ASSERT_TRUE(s->put(make_put("B", 0, std::string(16 * 1024, 'L'))).ok());  // = maxMessageSize
  auto too_big = s->put(make_put("B", 0, std::string(16 * 1024 + 1, 'L')));
  EXPECT_EQ(too_big.status, put_status::message_illegal);
  put_request garbage;
  garbage.topic = "B";
  garbage.records.push_back("not a record at all");
  EXPECT_EQ(s->put(garbage).status, put_status::message_illegal);
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  auto g = s->get_message("B", 0, 0, 32, 1 << 20, nullptr);
  ASSERT_EQ(g.msg_count, 7);
  EXPECT_EQ(g.queue_offsets.back(), 6);
}

TEST(MessageStore, TransactionalPreparedAndRollbackAreNotConsumable) {
  test::temp_dir d;
  auto s = open_store(test::small_config(d.path));
  ASSERT_TRUE(s->put(make_put("T", 0, "half", {{"TRAN_MSG", "true"}, {"UNIQ_KEY", "U1"}}, kTransactionPrepared)).ok());
  ASSERT_TRUE(s->put(make_put("T", 0, "rb", {}, kTransactionRollback)).ok());
  auto c = s->put(make_put("T", 0, "commit", {}, kTransactionCommit));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.queue_offset, 0);
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  EXPECT_EQ(s->max_offset_in_queue("T", 0), 1);
  auto g = s->get_message("T", 0, 0, 32, 1 << 20, nullptr);
  ASSERT_EQ(g.msg_count, 1);
  EXPECT_EQ(test::body_of(g.body), "commit");
  // The half message is still indexed (queryable by id).
  EXPECT_EQ(s->query_by_key("T", "U1", 10, 0, INT64_MAX).size(), 1u);
}

TEST(MessageStore, QueryByKeyFiltersCollisionsAndTopics) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  c.max_hash_slot_num = 1;  // every key collides
  auto s = open_store(c);
  ASSERT_TRUE(s->put(make_put("T", 0, "one", {{"KEYS", "order-1 shared"}})).ok());
  ASSERT_TRUE(s->put(make_put("T", 0, "two", {{"KEYS", "order-2 shared"}})).ok());
  ASSERT_TRUE(s->put(make_put("U", 0, "other", {{"KEYS", "order-1"}})).ok());
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  auto r = s->query_by_key("T", "order-1", 32, 0, INT64_MAX);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(test::body_of(r[0]), "one");
  EXPECT_EQ(s->query_by_key("T", "shared", 32, 0, INT64_MAX).size(), 2u);
  EXPECT_TRUE(s->query_by_key("T", "nope", 32, 0, INT64_MAX).empty());
}

TEST(MessageStore, OffsetByTimeAndStoreTime) {
  test::temp_dir d;
  auto s = open_store(test::small_config(d.path));
  ASSERT_TRUE(s->put(make_put("T", 0, "early")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  auto mid = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_TRUE(s->put(make_put("T", 0, "late")).ok());
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  EXPECT_EQ(s->offset_by_time("T", 0, mid), 1);
  EXPECT_EQ(s->offset_by_time("T", 0, 0), 0);
  EXPECT_LT(s->store_time_at("T", 0, 0), mid);
  EXPECT_GT(s->store_time_at("T", 0, 1), mid);
}

TEST(MessageStore, ArrivalListenerSeesEveryDispatch) {
  test::temp_dir d;
  auto s = open_store(test::small_config(d.path));
  std::mutex mu;
  std::vector<arrival> seen;
  s->set_arrival_listener([&](const arrival& a) {
    std::lock_guard lock(mu);
    seen.push_back(a);
  });
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->put(make_put("T", 3, "x", {{"TAGS", "TagA"}})).ok());
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[4].queue_offset, 4);
  EXPECT_EQ(seen[4].queue_id, 3);
  EXPECT_EQ(seen[4].tags_code, 2598919);  // hash("TagA"), rocketmq-protocol.md §3.3
}

TEST(MessageStore, ScheduleTopicTagsCodeIsDeliverTime) {
  test::temp_dir d;
  auto s = open_store(test::small_config(d.path));
  std::vector<arrival> seen;
  std::mutex mu;
  s->set_arrival_listener([&](const arrival& a) {
    std::lock_guard lock(mu);
    seen.push_back(a);
  });
  ASSERT_TRUE(s->put(make_put("SCHEDULE_TOPIC_XXXX", 2, "d", {{"DELAY", "3"}})).ok());
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].tags_code, seen[0].store_timestamp + 10000);  // level 3 = 10s
}

TEST(MessageStore, SecondOpenOfALockedStoreFails) {
  test::temp_dir d;
  auto s = open_store(test::small_config(d.path));
  std::string err;
  auto t = message_store::open(test::small_config(d.path), &err);
  EXPECT_FALSE(t);
  EXPECT_NE(err.find("locked"), std::string::npos);
}

TEST(MessageStore, CleanShutdownRemovesAbortAndReopensNormally) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  {
    auto s = open_store(c);
    EXPECT_TRUE(std::filesystem::exists(c.abort_path()));
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(s->put(make_put("T", 0, std::string(900, 'z'))).ok());
    s->shutdown();
    EXPECT_FALSE(std::filesystem::exists(c.abort_path()));
    EXPECT_EQ(s->put(make_put("T", 0, "late")).status, put_status::service_not_available);
  }
  auto s = open_store(c);
  EXPECT_FALSE(s->recovered_abnormally());
  EXPECT_EQ(s->max_offset_in_queue("T", 0), 100);
  auto r = s->put(make_put("T", 0, "after"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.queue_offset, 100);
}

TEST(MessageStore, RetentionDeletesOldFilesAndQueuesFollow) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  c.file_reserved_time_hours = 0;  // everything is expired at once
  auto s = open_store(c);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(s->put(make_put("T", 0, std::string(1000, 'r'))).ok());
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  int64_t before = s->commit_log_min_offset();
  int deleted = s->clean_expired(/*force=*/true);
  EXPECT_GT(deleted, 0);
  EXPECT_GT(s->commit_log_min_offset(), before);
  int64_t min_q = s->min_offset_in_queue("T", 0);
  EXPECT_GT(min_q, 0);
  auto old = s->get_message("T", 0, 0, 32, 1 << 20, nullptr);
  EXPECT_EQ(old.status, get_status::offset_too_small);
  EXPECT_EQ(old.next_begin_offset, min_q);
  auto g = s->get_message("T", 0, min_q, 32, 1 << 20, nullptr);
  EXPECT_EQ(g.status, get_status::found);
}

}  // namespace
}  // namespace mq::store

namespace mq::store {
namespace {

TEST(MessageStore, CriticallyFullDiskRefusesWritesWithAnError) {
  test::temp_dir d;
  auto c = test::small_config(d.path);
  c.disk_critical_ratio = 0;  // any use counts as critically full
  auto s = open_store(c);
  ASSERT_TRUE(s->put(test::make_put("T", 0, "before the check")).ok());
  s->clean_expired(false);  // the periodic check notices the disk state
  auto r = s->put(test::make_put("T", 0, "refused"));
  EXPECT_EQ(r.status, put_status::service_not_available);
  EXPECT_EQ(r.error, "disk is full");
  // Reads still work.
  ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(5)));
  EXPECT_EQ(s->get_message("T", 0, 0, 32, 1 << 20, nullptr).msg_count, 1);
}

}  // namespace
}  // namespace mq::store
