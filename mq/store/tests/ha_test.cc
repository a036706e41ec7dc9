// HA replication between two stores in one process over real loopback
// sockets: byte-identical commit logs, consume queues rebuilt on the slave,
// SYNC_MASTER acknowledgments, a slave restarted mid-stream, an empty slave
// joining a master with several files, and a slave ahead of its master.
#include "mq/store/ha.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "mq/common/loopback_port.h"
#include "mq/store/message_store.h"
#include "mq/store/record.h"
#include "open_store.h"
#include "test_util.h"

namespace mq::store {
namespace {

using namespace std::chrono_literals;
using test::make_put;

using test::open_store;

message_store_config master_config(const std::string& root, store_role role = store_role::async_master) {
  auto c = test::small_config(root, flush_disk_type::async_flush);
  c.role = role;
  c.ha_listen_port = 0;  // set below: 0 would mean "no HA server"
  c.ha_listen_host = "127.0.0.1";
  c.ha_send_heartbeat_interval = 200ms;
  c.ha_reconnect_interval = 100ms;
  c.slave_timeout = 1000ms;
  return c;
}

message_store_config slave_config(const std::string& root, uint16_t master_port) {
  auto c = test::small_config(root, flush_disk_type::async_flush);
  c.role = store_role::slave;
  c.ha_master_address = "127.0.0.1:" + std::to_string(master_port);
  c.ha_send_heartbeat_interval = 200ms;
  c.ha_reconnect_interval = 100ms;
  return c;
}

uint16_t pick_port() { return mq::loopback_free_port(); }

bool caught_up(message_store& master, message_store& slave, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (slave.commit_log_max_offset() == master.commit_log_max_offset()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

// Every commit-log file of `slave_root` equals the master's bytes over the
// slave's written range.
void expect_prefix(const std::string& master_root, const std::string& slave_root, int64_t upto) {
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(slave_root + "/commitlog")) {
    auto name = e.path().filename().string();
    int64_t from = std::stoll(name);
    if (from >= upto) continue;
    auto a = test::read_file(master_root + "/commitlog/" + name);
    auto b = test::read_file(e.path().string());
    size_t n = static_cast<size_t>(std::min<int64_t>(upto - from, static_cast<int64_t>(b.size())));
    ASSERT_GE(a.size(), n) << name;
    EXPECT_TRUE(a.compare(0, n, b, 0, n) == 0) << "commit-log file " << name << " differs";
    files++;
  }
  EXPECT_GT(files, 0);
}

std::string put_body(int i) { return "message-" + std::to_string(i) + std::string(900, static_cast<char>('a' + i % 26)); }

TEST(HA, SlaveCommitLogIsTheMastersPrefixAndServesTheSameQueues) {
  test::temp_dir md, sd;
  auto mc = master_config(md.path);
  mc.ha_listen_port = pick_port();
  auto m = open_store(mc);
  ASSERT_TRUE(m);
  auto s = open_store(slave_config(sd.path, static_cast<uint16_t>(mc.ha_listen_port)));
  ASSERT_TRUE(s);
  // ~1 KiB records in 64 KiB files: the stream crosses many file ends.
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(m->put(make_put("T", i % 4, put_body(i), {{"TAGS", "A"}})).ok());
  ASSERT_TRUE(caught_up(*m, *s));
  expect_prefix(md.path, sd.path, m->commit_log_max_offset());
  ASSERT_TRUE(s->wait_dispatched(5s));
  for (int q = 0; q < 4; ++q) {
    EXPECT_EQ(s->max_offset_in_queue("T", q), 150);
    auto a = m->get_message("T", q, 0, 32, 1 << 20, nullptr);
    auto b = s->get_message("T", q, 0, 32, 1 << 20, nullptr);
    ASSERT_EQ(b.status, get_status::found);
    EXPECT_EQ(a.body, b.body);  // the same records, byte for byte
  }
  auto h = m->ha();
  EXPECT_EQ(h.slaves, 1);
  EXPECT_EQ(h.acked_offset, m->commit_log_max_offset());
  EXPECT_TRUE(s->ha().connected);
}

TEST(HA, SyncMasterAcknowledgesOnlyWhatTheSlaveHas) {
  test::temp_dir md, sd;
  auto mc = master_config(md.path, store_role::sync_master);
  mc.ha_listen_port = pick_port();
  auto m = open_store(mc);
  ASSERT_TRUE(m);
  // No slave: stored, but SLAVE_NOT_AVAILABLE at once.
  auto t0 = std::chrono::steady_clock::now();
  auto r = m->put(make_put("T", 0, "alone"));
  EXPECT_EQ(r.status, put_status::slave_not_available);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  EXPECT_EQ(m->commit_log_max_offset(), r.wrote_offset + static_cast<int64_t>(make_put("T", 0, "alone").records[0].size()));

  auto s = open_store(slave_config(sd.path, static_cast<uint16_t>(mc.ha_listen_port)));
  ASSERT_TRUE(s);
  ASSERT_TRUE(caught_up(*m, *s));
  for (int i = 0; i < 200; ++i) {
    auto p = m->put(make_put("T", 0, put_body(i)));
    ASSERT_EQ(p.status, put_status::put_ok) << i;
    // Acknowledged means the slave holds it.
    EXPECT_GE(s->commit_log_max_offset(), p.offsets.back() + 1);
  }
  // put_async reports the same way.
  std::promise<put_result> done;
  m->put_async(make_put("T", 1, "async"), [&](put_result pr) { done.set_value(pr); });
  auto ar = done.get_future().get();
  EXPECT_EQ(ar.status, put_status::put_ok);
  EXPECT_GE(s->commit_log_max_offset(), ar.wrote_offset + 1);
  // WAIT=false does not wait for the slave.
  auto nowait = make_put("T", 0, "no wait");
  nowait.wait_store_msg_ok = false;
  EXPECT_EQ(m->put(std::move(nowait)).status, put_status::put_ok);

  // The slave goes away: the master notices the closed connection and
  // answers SLAVE_NOT_AVAILABLE again (or FLUSH_SLAVE_TIMEOUT in the window
  // before it notices); nothing hangs beyond slave_timeout.
  s->shutdown();
  s.reset();
  std::this_thread::sleep_for(300ms);
  t0 = std::chrono::steady_clock::now();
  auto gone = m->put(make_put("T", 0, "after the slave left"));
  EXPECT_TRUE(gone.status == put_status::slave_not_available || gone.status == put_status::flush_slave_timeout)
      << to_string(gone.status);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
}

TEST(HA, SlaveRestartedMidStreamCatchesUp) {
  test::temp_dir md, sd;
  auto mc = master_config(md.path);
  mc.ha_listen_port = pick_port();
  auto m = open_store(mc);
  ASSERT_TRUE(m);
  auto sc = slave_config(sd.path, static_cast<uint16_t>(mc.ha_listen_port));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      ASSERT_TRUE(m->put(make_put("T", i % 2, put_body(i))).ok());
      std::this_thread::sleep_for(200us);
    }
  });
  for (int round = 0; round < 3; ++round) {
    auto s = open_store(sc);
    ASSERT_TRUE(s);
    std::this_thread::sleep_for(300ms);
    if (round == 1) {
      s->halt_for_test();  // as a crash: no final flush, abort file left
    } else {
      s->shutdown();
    }
  }
  stop = true;
  writer.join();
  auto s = open_store(sc);
  ASSERT_TRUE(s);
  ASSERT_TRUE(caught_up(*m, *s));
  expect_prefix(md.path, sd.path, m->commit_log_max_offset());
  ASSERT_TRUE(s->wait_dispatched(5s));
  EXPECT_EQ(s->max_offset_in_queue("T", 0), m->max_offset_in_queue("T", 0));
  EXPECT_EQ(s->max_offset_in_queue("T", 1), m->max_offset_in_queue("T", 1));
}

TEST(HA, EmptySlaveCopiesTheWholeLogOfAMasterWithSeveralFiles) {
  test::temp_dir md, sd;
  auto mc = master_config(md.path);
  mc.ha_listen_port = pick_port();
  auto m = open_store(mc);
  ASSERT_TRUE(m);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(m->put(make_put("T", 0, put_body(i))).ok());
  ASSERT_GT(m->commit_log_max_offset(), 3 * mc.mapped_file_size_commit_log);
  auto s = open_store(slave_config(sd.path, static_cast<uint16_t>(mc.ha_listen_port)));
  ASSERT_TRUE(s);
  ASSERT_TRUE(caught_up(*m, *s));
  EXPECT_EQ(s->commit_log_min_offset(), m->commit_log_min_offset());
  expect_prefix(md.path, sd.path, m->commit_log_max_offset());
  ASSERT_TRUE(s->wait_dispatched(5s));
  EXPECT_EQ(s->min_offset_in_queue("T", 0), 0);
  EXPECT_EQ(s->max_offset_in_queue("T", 0), 300);
  for (int64_t q : {0, 299}) {
    auto g = s->get_message("T", 0, q, 1, 1 << 20, nullptr);
    ASSERT_EQ(g.status, get_status::found);
    record_fields rf;
    ASSERT_EQ(parse_record(g.body, true, rf), parse_status::ok);
    EXPECT_EQ(std::string(rf.body), put_body(static_cast<int>(q)));
  }
}

// A slave that starts far behind (an empty one joining a master with a big
// log) copies everything. MQ_HA_CATCHUP_MIB sets the size (default 64 MiB;
// the #7 note reports 1 GiB).
TEST(HA, SlaveCatchesUpFromFarBehind) {
  int64_t mib = std::getenv("MQ_HA_CATCHUP_MIB") ? std::atoll(std::getenv("MQ_HA_CATCHUP_MIB")) : 64;
  test::temp_dir md, sd;
  auto mc = master_config(md.path);
  mc.mapped_file_size_commit_log = 64LL * 1024 * 1024;
  mc.ha_listen_port = pick_port();
  auto m = open_store(mc);
  ASSERT_TRUE(m);
  std::string body(4000, 'c');
  int n = 0;
  while (m->commit_log_max_offset() < mib * 1024 * 1024) {
    ASSERT_TRUE(m->put(make_put("Big", n % 8, body + std::to_string(n))).ok());
    ++n;
  }
  auto sc = slave_config(sd.path, static_cast<uint16_t>(mc.ha_listen_port));
  sc.mapped_file_size_commit_log = mc.mapped_file_size_commit_log;
  auto t0 = std::chrono::steady_clock::now();
  auto s = open_store(sc);
  ASSERT_TRUE(s);
  ASSERT_TRUE(caught_up(*m, *s, 300s));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(s->wait_dispatched(120s));
  double all = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("HA catch-up: %lld MiB (%d messages) copied in %.2f s (%.0f MiB/s), dispatched after %.2f s\n",
              static_cast<long long>(mib), n, secs, static_cast<double>(mib) / secs, all);
  expect_prefix(md.path, sd.path, m->commit_log_max_offset());
  for (int q = 0; q < 8; ++q) EXPECT_EQ(s->max_offset_in_queue("Big", q), m->max_offset_in_queue("Big", q));
}

TEST(HA, SlaveAheadOfItsMasterTruncatesToTheMastersEndAndFollows) {
  test::temp_dir md, sd;
  // The slave's store came from a master with more (and other) data.
  {
    auto c = test::small_config(sd.path, flush_disk_type::async_flush);
    auto old = open_store(c);
    ASSERT_TRUE(old);
    for (int i = 0; i < 150; ++i) ASSERT_TRUE(old->put(make_put("T", 0, "old " + put_body(i))).ok());
    old->shutdown();
  }
  auto mc = master_config(md.path);
  mc.ha_listen_port = pick_port();
  auto m = open_store(mc);
  ASSERT_TRUE(m);
  for (int i = 0; i < 70; ++i) ASSERT_TRUE(m->put(make_put("T", 0, put_body(i))).ok());
  auto s = open_store(slave_config(sd.path, static_cast<uint16_t>(mc.ha_listen_port)));
  ASSERT_TRUE(s);
  ASSERT_TRUE(caught_up(*m, *s));
  // Followed from the master's end: new data lands on both alike.
  for (int i = 70; i < 140; ++i) ASSERT_TRUE(m->put(make_put("T", 0, put_body(i))).ok());
  ASSERT_TRUE(caught_up(*m, *s));
  ASSERT_TRUE(s->wait_dispatched(5s));
  EXPECT_EQ(s->max_offset_in_queue("T", 0), m->max_offset_in_queue("T", 0));
  // The records past the old master's end are the new master's.
  auto g = s->get_message("T", 0, 139, 1, 1 << 20, nullptr);
  ASSERT_EQ(g.status, get_status::found);
  record_fields rf;
  ASSERT_EQ(parse_record(g.body, true, rf), parse_status::ok);
  EXPECT_EQ(std::string(rf.body), put_body(139));
  EXPECT_EQ(m->ha().acked_offset, m->commit_log_max_offset());
}

}  // namespace
}  // namespace mq::store
