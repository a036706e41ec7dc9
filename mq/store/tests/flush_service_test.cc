#include "mq/store/flush_service.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mq::store {
namespace {

using namespace std::chrono_literals;

// A log whose flush can be slowed down or made to fail.
class fake_log : public flushable {
 public:
  bool flush(int least_pages) override {
    {
      std::lock_guard lock(mu_);
      calls_.push_back(least_pages);
    }
    std::this_thread::sleep_for(delay_.load());
    if (fail_.load()) return false;
    flushed_.store(written_.load());
    return true;
  }
  int64_t flushed_where() const override { return flushed_.load(); }
  std::vector<int> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

  std::atomic<int64_t> written_{0};
  std::atomic<int64_t> flushed_{0};
  std::atomic<std::chrono::milliseconds> delay_{0ms};
  std::atomic<bool> fail_{false};

 private:
  std::mutex mu_;
  std::vector<int> calls_;
};

TEST(GroupCommit, ManyWaitersShareFewSyncs) {
  fake_log log;
  log.delay_ = 2ms;
  group_commit_service gc(log);
  gc.start();
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 64; ++i) {
    ts.emplace_back([&, i] {
      for (int k = 0; k < 20; ++k) {
        int64_t end = log.written_.fetch_add(100) + 100;  // "append"
        if (gc.wait_flushed(end, 5s) == group_commit_service::wait_status::flushed) ok++;
        (void)i;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 64 * 20);
  EXPECT_EQ(gc.released(), 64u * 20u);
  EXPECT_LT(gc.syncs(), 64u * 20u / 4) << "group commit did not group";
  EXPECT_GE(gc.flushed(), log.written_.load());
  gc.stop();
}

TEST(GroupCommit, SlowDiskReportsTimeoutNotSuccess) {
  fake_log log;
  log.delay_ = 300ms;
  group_commit_service gc(log);
  gc.start();
  log.written_ = 10;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(gc.wait_flushed(10, 50ms), group_commit_service::wait_status::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 250ms);
  // Once the sync lands, the same offset is flushed.
  EXPECT_EQ(gc.wait_flushed(10, 2s), group_commit_service::wait_status::flushed);
  gc.stop();
}

TEST(GroupCommit, FailedSyncIsSticky) {
  fake_log log;
  log.fail_ = true;
  group_commit_service gc(log);
  gc.start();
  log.written_ = 10;
  EXPECT_EQ(gc.wait_flushed(10, 2s), group_commit_service::wait_status::io_error);
  EXPECT_TRUE(gc.failed());
  log.fail_ = false;  // even if the disk recovers, nothing is acknowledged
  log.written_ = 20;
  EXPECT_EQ(gc.wait_flushed(20, 200ms), group_commit_service::wait_status::io_error);
  gc.stop();
}

// The callback form: many producers that do not block, each told once, only
// after the sync covering its offset; a slow disk gives a timeout.
TEST(GroupCommit, AsyncWaitersAreCalledOnceAfterTheirSync) {
  fake_log log;
  log.delay_ = 2ms;
  group_commit_service gc(log);
  gc.start();
  constexpr int kN = 2000;
  std::atomic<int> flushed{0}, wrong{0};
  std::vector<std::atomic<int>> calls(kN);
  for (int i = 0; i < kN; ++i) {
    int64_t end = log.written_.fetch_add(100) + 100;
    gc.wait_flushed_async(end, 5s, [&, i, end](group_commit_service::wait_status st) {
      calls[i]++;
      if (st == group_commit_service::wait_status::flushed) flushed++;
      if (log.flushed_.load() < end) wrong++;  // told before its data was synced
    });
  }
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (flushed.load() < kN && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(flushed.load(), kN);
  EXPECT_EQ(wrong.load(), 0);
  for (auto& c : calls) EXPECT_EQ(c.load(), 1);
  EXPECT_LT(gc.syncs(), static_cast<uint64_t>(kN) / 4) << "group commit did not group";

  log.delay_ = 400ms;
  log.written_ += 10;
  std::atomic<int> timeout{0};
  auto t0 = std::chrono::steady_clock::now();
  gc.wait_flushed_async(log.written_.load(), 50ms, [&](group_commit_service::wait_status st) {
    if (st == group_commit_service::wait_status::timeout) timeout++;
  });
  while (timeout.load() == 0 && std::chrono::steady_clock::now() - t0 < 2s) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(timeout.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 300ms);
  gc.stop();
}

TEST(GroupCommit, AsyncWaitersLeftAtStopAreAnswered) {
  fake_log log;
  log.delay_ = 50ms;
  group_commit_service gc(log);
  gc.start();
  std::atomic<int> answered{0};
  for (int i = 0; i < 10; ++i) {
    int64_t end = log.written_.fetch_add(10) + 10;
    gc.wait_flushed_async(end, 10s, [&](group_commit_service::wait_status) { answered++; });
  }
  gc.stop();  // final flush, then every waiter hears its outcome
  EXPECT_EQ(answered.load(), 10);
}

TEST(AsyncFlush, IntervalUsesLeastPagesAndThoroughFlushesAll) {
  fake_log log;
  async_flush_service af(log, 20ms, 4, 100ms);
  af.start();
  std::this_thread::sleep_for(350ms);
  af.stop();
  auto calls = log.calls();
  ASSERT_GE(calls.size(), 5u);
  int thorough = 0, paged = 0;
  for (size_t i = 0; i + 1 < calls.size(); ++i) {  // the last is the final flush at stop
    if (calls[i] == 0) thorough++;
    if (calls[i] == 4) paged++;
  }
  EXPECT_GE(paged, 4);
  EXPECT_GE(thorough, 1);
  EXPECT_LE(thorough, 4);
  EXPECT_EQ(calls.back(), 0);  // stop() flushes everything
}

}  // namespace
}  // namespace mq::store
