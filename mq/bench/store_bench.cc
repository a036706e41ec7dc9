// Store benchmarks (figures go to docs/benchmarks.md). Prints one line per
// scenario; asserts nothing.
//
//   mq_store_bench [--dir D] [--seconds S] [--recovery-gib G] [--only NAME] [--warm 0|1]
//
// Scenarios:
//   append_async_warm                   1 KiB records into a pre-touched file, 1 writer
//   append_async_1w / append_async_8w  1 KiB records, ASYNC_FLUSH, 1 and 8 writer threads, sustained
//   append_sync_64w                     1 KiB records, SYNC_FLUSH, 64 writers (group commit)
//   get_message_32                      get_message of 32 records from the page cache
//   recovery_normal / recovery_abnormal open time after clean shutdown / after a crash
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "mq/common/crc.h"
#include "mq/common/message_record.h"
#include "mq/store/message_store.h"

using namespace mq;
using namespace mq::store;
using clk = std::chrono::steady_clock;

namespace {

std::string g_dir = "/tmp/mq_store_bench";
double g_seconds = 5;
int g_recovery_gib = 1;
std::string g_only;
bool g_warm = true;

std::string make_record(int32_t queue_id, size_t body_size) {
  message_ext m;
  m.topic = "BenchTopic";
  m.body.assign(body_size, 'b');
  m.body_crc = rocketmq_crc32(m.body);
  m.set_tags("TagA");
  m.put_property("UNIQ_KEY", "7F0000010D4C18B4AAC2171A4A2A0000");
  m.queue_id = queue_id;
  m.born_timestamp = 1700000000000;
  m.born_host = socket_address::v4(127, 0, 0, 1, 40000);
  m.store_host = socket_address::v4(127, 0, 0, 1, 10911);
  return *encode_record(m);
}

message_store_config config(const std::string& dir, flush_disk_type f) {
  message_store_config c;
  c.store_path_root_dir = dir;
  c.flush_disk = f;
  c.mapped_file_size_commit_log = 1024LL * 1024 * 1024;
  c.warm_mapped_file_enable = g_warm;
  c.preallocate_commit_log = true;
  c.max_hash_slot_num = 500000;
  c.max_index_num = 2000000;
  return c;
}

std::unique_ptr<message_store> open_or_die(const message_store_config& c) {
  std::string err;
  auto s = message_store::open(c, &err);
  if (!s) {
    std::fprintf(stderr, "open %s: %s\n", c.store_path_root_dir.c_str(), err.c_str());
    std::exit(1);
  }
  return s;
}

void append_bench(const char* name, flush_disk_type f, int writers) {
  std::filesystem::remove_all(g_dir);
  auto s = open_or_die(config(g_dir, f));
  std::string rec = make_record(0, 1024 - 150);  // ~1 KiB record
  {
    // The first put creates (and with --warm 1 pre-touches) the first file;
    // that start-up cost is not part of the figure.
    put_request first;
    first.topic = "BenchTopic";
    first.records.assign(1, rec);
    s->put(first);
    // Let the background pre-allocation of the next file finish (steady
    // state: segments are prepared ahead of need).
    if (g_warm) std::this_thread::sleep_for(std::chrono::seconds(8));
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> count{0}, failed{0};
  std::vector<std::thread> ts;
  auto t0 = clk::now();
  for (int w = 0; w < writers; ++w) {
    ts.emplace_back([&, w] {
      put_request r;
      r.topic = "BenchTopic";
      r.queue_id = w % 8;
      int64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        r.records.assign(1, rec);
        if (s->put(r).ok()) ++n; else failed++;
      }
      count += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(g_seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(clk::now() - t0).count();
  auto st = s->stats();
  double rps = static_cast<double>(count.load()) / secs;
  std::printf("%-20s writers=%-3d records=%lld secs=%.2f records_per_s=%.0f MB_per_s=%.1f failed=%lld", name,
              writers, static_cast<long long>(count.load()), secs, rps, rps * static_cast<double>(rec.size()) / 1e6,
              static_cast<long long>(failed.load()));
  if (f == flush_disk_type::sync_flush && st.group_commit_syncs > 0) {
    std::printf(" fdatasync_per_s=%.0f avg_group=%.1f", static_cast<double>(st.group_commit_syncs) / secs,
                static_cast<double>(st.group_commit_released) / static_cast<double>(st.group_commit_syncs));
  }
  std::printf("\n");
  std::fflush(stdout);
  s->shutdown();
}

// Appends into a commit-log file that is already pre-allocated and
// pre-touched: the steady state RocketMQ's warmMapedFileEnable aims at.
// One put creates (and warms) the first file before the clock starts; the
// run stops before the file is full.
void append_warm_bench() {
  std::filesystem::remove_all(g_dir);
  auto c = config(g_dir, flush_disk_type::async_flush);
  c.preallocate_commit_log = false;  // nothing else competes for the cores
  auto s = open_or_die(c);
  std::string rec = make_record(0, 1024 - 150);
  put_request r;
  r.topic = "BenchTopic";
  r.queue_id = 0;
  r.records.assign(1, rec);
  s->put(r);
  s->wait_dispatched(std::chrono::seconds(30));
  const int64_t n = (c.mapped_file_size_commit_log - (64 << 20)) / static_cast<int64_t>(rec.size());
  auto t0 = clk::now();
  for (int64_t i = 0; i < n; ++i) {
    r.records.assign(1, rec);
    s->put(r);
  }
  double secs = std::chrono::duration<double>(clk::now() - t0).count();
  double rps = static_cast<double>(n) / secs;
  std::printf("%-20s writers=1   records=%lld secs=%.2f records_per_s=%.0f MB_per_s=%.1f\n", "append_async_warm",
              static_cast<long long>(n), secs, rps, rps * static_cast<double>(rec.size()) / 1e6);
  std::fflush(stdout);
  s->shutdown();
}

void get_bench() {
  std::filesystem::remove_all(g_dir);
  auto s = open_or_die(config(g_dir, flush_disk_type::async_flush));
  std::string rec = make_record(0, 1024 - 150);
  put_request r;
  r.topic = "BenchTopic";
  r.queue_id = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    r.records.assign(1, rec);
    s->put(r);
  }
  s->wait_dispatched(std::chrono::seconds(60));
  int64_t got = 0, calls = 0;
  auto t0 = clk::now();
  int64_t off = 0;
  while (std::chrono::duration<double>(clk::now() - t0).count() < g_seconds) {
    auto g = s->get_message("BenchTopic", 0, off, 32, 256 * 1024, nullptr);
    got += g.msg_count;
    ++calls;
    off = g.next_begin_offset >= n ? 0 : g.next_begin_offset;
  }
  double secs = std::chrono::duration<double>(clk::now() - t0).count();
  std::printf("%-20s calls=%lld records=%lld secs=%.2f records_per_s=%.0f\n", "get_message_32",
              static_cast<long long>(calls), static_cast<long long>(got), secs, static_cast<double>(got) / secs);
  std::fflush(stdout);
  s->shutdown();
}

void recovery_bench() {
  std::filesystem::remove_all(g_dir);
  auto c = config(g_dir, flush_disk_type::async_flush);
  std::string rec = make_record(0, 4096 - 150);
  {
    auto s = open_or_die(c);
    put_request r;
    r.topic = "BenchTopic";
    int64_t target = static_cast<int64_t>(g_recovery_gib) * 1024 * 1024 * 1024;
    int i = 0;
    while (s->commit_log_max_offset() < target) {
      r.queue_id = i++ % 8;
      r.records.assign(1, rec);
      s->put(r);
    }
    s->shutdown();
  }
  auto t0 = clk::now();
  { auto s = open_or_die(c); 
    std::printf("%-20s commit_log_bytes=%lld open_secs=%.2f\n", "recovery_normal",
                static_cast<long long>(s->commit_log_max_offset()),
                std::chrono::duration<double>(clk::now() - t0).count());
    s->halt_for_test();  // leave the abort file: the next open is a crash recovery
  }
  t0 = clk::now();
  auto s = open_or_die(c);
  std::printf("%-20s commit_log_bytes=%lld open_secs=%.2f abnormal=%d\n", "recovery_abnormal",
              static_cast<long long>(s->commit_log_max_offset()),
              std::chrono::duration<double>(clk::now() - t0).count(), s->recovered_abnormally() ? 1 : 0);
  std::fflush(stdout);
  s->shutdown();
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--dir") g_dir = argv[i + 1];
    else if (a == "--seconds") g_seconds = std::atof(argv[i + 1]);
    else if (a == "--recovery-gib") g_recovery_gib = std::atoi(argv[i + 1]);
    else if (a == "--only") g_only = argv[i + 1];
    else if (a == "--warm") g_warm = std::atoi(argv[i + 1]) != 0;
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  auto want = [](const char* n) { return g_only.empty() || g_only == n; };
  if (want("append_warm")) append_warm_bench();
  if (want("append_async")) {
    append_bench("append_async_1w", flush_disk_type::async_flush, 1);
    append_bench("append_async_8w", flush_disk_type::async_flush, 8);
  }
  if (want("append_sync")) append_bench("append_sync_64w", flush_disk_type::sync_flush, 64);
  if (want("get")) get_bench();
  if (want("recovery")) recovery_bench();
  std::filesystem::remove_all(g_dir);
  return 0;
}
