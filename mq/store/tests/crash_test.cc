// A real SIGKILL: a child appends under SYNC_FLUSH and reports every
// acknowledged offset on a pipe; we kill it at a random moment, reopen the
// store and check every acknowledged record is there and intact. 20 rounds
// on the same store, so recovery also runs on top of earlier recoveries.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "mq/store/message_store.h"
#include "mq/store/record.h"
#include "test_util.h"

namespace mq::store {
namespace {

struct child_run {
  std::vector<std::pair<long, int64_t>> acked;
};

child_run run_and_kill(const std::string& dir, long first, int kill_after_ms) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::string first_s = std::to_string(first);
    ::execl(MQ_STORE_CRASH_CHILD, MQ_STORE_CRASH_CHILD, dir.c_str(), first_s.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  // The kill clock starts at the first acknowledgement, so a slow start
  // (sanitizer builds, a loaded machine, recovery) never leaves a round
  // without acknowledged records.
  std::string out;
  char buf[65536];
  pollfd pfd{fds[0], POLLIN, 0};
  while (out.find('\n') == std::string::npos && ::poll(&pfd, 1, 30000) > 0) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  child_run r;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    // Only complete lines: the last one may be cut by the kill.
    if (in.eof()) break;
    std::istringstream ls(line);
    long i;
    int64_t off;
    if (ls >> i >> off) r.acked.emplace_back(i, off);
  }
  return r;
}

TEST(Crash, SigkillNeverLosesAnAcknowledgedRecord) {
  test::temp_dir d;
  std::mt19937 rng(12345);
  long next = 0;
  size_t total_acked = 0;
  for (int round = 0; round < 20; ++round) {
    int wait_ms = 20 + static_cast<int>(rng() % 250);
    auto run = run_and_kill(d.path, next, wait_ms);
    ASSERT_FALSE(run.acked.empty()) << "round " << round << ": the child acknowledged nothing";
    total_acked += run.acked.size();
    auto cfg = test::small_config(d.path, flush_disk_type::sync_flush);
    cfg.mapped_file_size_commit_log = 256 * 1024;
    std::string err;
    auto s = message_store::open(cfg, &err);
    ASSERT_TRUE(s) << err;
    EXPECT_TRUE(s->recovered_abnormally());
    for (auto& [i, off] : run.acked) {
      auto rec = s->read_record(off);
      ASSERT_TRUE(rec) << "round " << round << ": acknowledged record " << i << " at " << off << " is gone";
      record_fields rf;
      ASSERT_EQ(parse_record(*rec, true, rf), parse_status::ok);
      std::string want = "crash-" + std::to_string(i) + "-" + std::string(static_cast<size_t>(i % 700), 'p');
      ASSERT_EQ(std::string(rf.body), want);
    }
    ASSERT_TRUE(s->wait_dispatched(std::chrono::seconds(10)));
    // Queue offsets are dense and every served record is intact.
    int64_t count = 0;
    for (int q = 0; q < 3; ++q) {
      int64_t off = 0;
      while (true) {
        auto g = s->get_message("K", q, off, 32, 1 << 20, nullptr);
        if (g.status != get_status::found) break;
        std::string_view b = g.body;
        while (!b.empty()) {
          record_fields rf;
          ASSERT_EQ(parse_record(b, true, rf), parse_status::ok);
          b.remove_prefix(static_cast<size_t>(rf.total_size));
          ++count;
        }
        off = g.next_begin_offset;
      }
    }
    EXPECT_GE(count, static_cast<int64_t>(total_acked));
    // The last acknowledged key is findable through the rebuilt index.
    auto last = run.acked.back().first;
    EXPECT_EQ(s->query_by_key("K", "id" + std::to_string(last), 4, 0, INT64_MAX).size(), 1u);
    next = static_cast<long>(count) + 1000000L * (round + 1);  // fresh ids each round
    s->shutdown();
  }
  std::printf("SIGKILL rounds: 20, acknowledged records checked: %zu\n", total_acked);
}

}  // namespace
}  // namespace mq::store
