// Issue #7 on real processes: two name servers and the four brokers of
// deploy/conf/2m-2s-sync (or -async), each its own mqbroker process on
// loopback, driven by our client.
//
//   * a producer sends with acknowledgments while master broker-a is
//     SIGKILLed mid-stream; sends go on to broker-b with few failures;
//   * every message broker-a acknowledged is on its slave a-s, byte for byte
//     (SYNC_MASTER), or the number that is not is reported (ASYNC_MASTER);
//   * a consumer group drains everything from a-s and broker-b while broker-a
//     is down;
//   * broker-a restarts (crash recovery), its slave follows it again, and new
//     messages flow through it.
//
// MQ_HA_TEST_MESSAGES sets the number of messages (default 20,000; the note
// of issue #7 reports a 100,000 run).
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "mq/client/admin.h"
#include "mq/client/producer.h"
#include "mq/client/push_consumer.h"
#include "mq/common/loopback_port.h"
#include "mq/common/message_id.h"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using mq::client::send_status;

// A broker port p with its fast port (p-2) and HA port (p+1) free.
uint16_t free_port_pair() { return mq::loopback_free_port(2, 1); }

bool eventually(const std::function<bool()>& f, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return f();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct process {
  std::string name, log;
  std::vector<std::string> args;
  pid_t pid = -1;
  void start(const std::string& bin) {
    size_t from = fs::exists(log) ? fs::file_size(log) : 0;
    pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv{const_cast<char*>(bin.c_str())};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    ASSERT_TRUE(eventually([&] { return slurp(log).find("boot success", from) != std::string::npos; }, 30s))
        << name << " did not start:\n" << slurp(log).substr(from);
  }
  bool logged(const std::string& needle) { return slurp(log).find(needle) != std::string::npos; }
  void kill9() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
  ~process() { kill9(); }
};

class Cluster : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    layout_ = GetParam();
    dir_ = ::testing::TempDir() + "/mq-cluster-" + layout_ + "-" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (int i = 0; i < 2; ++i) {
      auto& ns = procs_["namesrv-" + std::to_string(i + 1)];
      uint16_t port = free_port_pair();
      ns.name = "namesrv-" + std::to_string(i + 1);
      ns.log = dir_ + "/" + ns.name + ".log";
      ns.args = {"listenPort=" + std::to_string(port), "kvConfigPath=" + dir_ + "/" + ns.name + "-kv.json"};
      namesrv_ += (namesrv_.empty() ? "" : ";") + std::string("127.0.0.1:") + std::to_string(port);
    }
    for (auto n : {"broker-a", "broker-b", "broker-a-s", "broker-b-s"}) {
      auto& b = procs_[n];
      b.name = n;
      b.log = dir_ + "/" + b.name + ".log";
      uint16_t port = free_port_pair();
      addr_[n] = "127.0.0.1:" + std::to_string(port);
      // The layout's own file, with this machine's free ports and a store
      // of its own; 8 MiB commit-log files so the stream crosses files.
      b.args = {"-n", namesrv_, "-c", std::string(MQ_SOURCE_DIR) + "/deploy/conf/" + layout_ + "/" + n + ".properties",
                "listenPort=" + std::to_string(port), "haListenPort=" + std::to_string(port + 1),
                "fastListenPortEnable=false", "storePathRootDir=" + dir_ + "/" + n, "mappedFileSizeCommitLog=8388608",
                "slaveSyncInterval=1000", "slaveTimeout=3000"};
      for (auto& a : extra_broker_args()) b.args.push_back(a);
    }
    for (auto n : {"namesrv-1", "namesrv-2"}) procs_[n].start(MQ_NAMESRV_BIN);
    for (auto n : {"broker-a", "broker-b", "broker-a-s", "broker-b-s"}) procs_[n].start(MQ_BROKER_BIN);
    // Both slaves follow their masters.
    for (auto n : {"broker-a", "broker-b"})
      ASSERT_TRUE(eventually([&] { return procs_[n].logged("HA: streaming to slave"); }, 30s)) << slurp(procs_[n].log);
  }
  void TearDown() override {
    procs_.clear();
    if (!HasFailure()) fs::remove_all(dir_);
    else std::printf("logs kept in %s\n", dir_.c_str());
  }

  virtual std::vector<std::string> extra_broker_args() { return {}; }

  mq::client::client_options opts() {
    mq::client::client_options o;
    o.namesrv_addr = namesrv_;
    o.client_ip = "127.0.0.1";
    o.poll_name_server_interval = 5s;  // see the restarted master sooner than the default 30 s
    return o;
  }

  void create_topic(const std::string& topic) {
    mq::client::admin_client admin(opts());
    ASSERT_TRUE(admin.start().ok());
    for (auto n : {"broker-a", "broker-b"}) {
      auto st = admin.create_topic(addr_[n], {.name = topic, .read_queue_nums = 4, .write_queue_nums = 4});
      ASSERT_TRUE(st.ok()) << st.message;
    }
    admin.shutdown();
    // The slaves have it (synced every second).
    for (auto n : {"broker-a-s", "broker-b-s"})
      ASSERT_TRUE(eventually([&] { return slurp(dir_ + "/" + n + "/config/topics.json").find(topic) != std::string::npos; },
                             20s)) << n;
  }

  std::string layout_, dir_, namesrv_;
  std::map<std::string, process> procs_;
  std::map<std::string, std::string> addr_;
};

// The record at `offset` of a commit log under `root` (8 MiB files).
std::string record_at(const std::string& root, int64_t offset) {
  constexpr int64_t file = 8388608;
  char name[32];
  std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(offset - offset % file));
  std::ifstream in(root + "/commitlog/" + name, std::ios::binary);
  if (!in) return {};
  in.seekg(offset % file);
  char size_be[4];
  if (!in.read(size_be, 4)) return {};
  int32_t size = (static_cast<unsigned char>(size_be[0]) << 24) | (static_cast<unsigned char>(size_be[1]) << 16) |
                 (static_cast<unsigned char>(size_be[2]) << 8) | static_cast<unsigned char>(size_be[3]);
  if (size <= 0 || size > 4 * 1024 * 1024) return {};
  std::string rec(static_cast<size_t>(size), '\0');
  in.seekg(offset % file);
  if (!in.read(rec.data(), size)) return {};
  return rec;
}

TEST_P(Cluster, MasterKilledMidStreamSlaveHasTheAcknowledgedMessagesAndServesThem) {
  const bool sync = layout_ == "2m-2s-sync";
  const int total = std::getenv("MQ_HA_TEST_MESSAGES") ? std::atoi(std::getenv("MQ_HA_TEST_MESSAGES")) : 20000;
  const std::string topic = "ha_topic";
  create_topic(topic);
  if (HasFatalFailure()) return;

  mq::client::producer_options po;
  static_cast<mq::client::client_options&>(po) = opts();
  po.group = "ha_producer";
  po.send_timeout = 5s;
  mq::client::producer p(po);
  ASSERT_TRUE(p.start().ok());

  struct acked {
    std::string broker;
    int64_t offset;
  };
  std::map<std::string, acked> acks;  // key -> where it was stored
  int failures = 0, not_ok = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < total; ++i) {
    if (i == total / 3) procs_["broker-a"].kill9();  // mid-stream
    mq::message m;
    m.topic = topic;
    m.set_keys({"k" + std::to_string(i)});
    m.body = "ha message " + std::to_string(i) + std::string(200, 'x');
    auto r = p.send(m);
    if (!r) {
      failures++;
      continue;
    }
    if (r->status != send_status::SEND_OK) {
      not_ok++;  // stored by the master but not (yet) on a slave: not acknowledged
      continue;
    }
    auto id = mq::decode_offset_msg_id(r->offset_msg_id);
    ASSERT_TRUE(id) << r->offset_msg_id;
    acks["k" + std::to_string(i)] = {r->queue.broker_name, id->second};
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("cluster %s: %d sends in %.1f s (%.0f/s): %zu acknowledged, %d not SEND_OK, %d failed (broker-a killed "
              "after %d)\n",
              layout_.c_str(), total, secs, total / secs, acks.size(), not_ok, failures, total / 3);
  // Producer failover: the other master takes the rest; a kill costs at
  // most a few sends (the ones in flight and the fault-tolerance probe).
  EXPECT_LE(failures, 20);
  EXPECT_GE(static_cast<int>(acks.size()), total - failures - not_ok);

  // Every message broker-a acknowledged: on a-s byte for byte (sync), or
  // counted (async: the trade-off).
  int on_a = 0, missing_on_slave = 0;
  for (auto& [key, a] : acks) {
    if (a.broker != "broker-a") continue;
    on_a++;
    auto master = record_at(dir_ + "/broker-a", a.offset);
    ASSERT_FALSE(master.empty()) << key;
    bool same = false;
    eventually([&] { return same = record_at(dir_ + "/broker-a-s", a.offset) == master; }, sync ? 0ms : 2000ms);
    if (!same) missing_on_slave++;
  }
  std::printf("cluster %s: broker-a acknowledged %d; %d of them are not on broker-a-s\n", layout_.c_str(), on_a,
              missing_on_slave);
  EXPECT_GT(on_a, 0);
  if (sync) {
    EXPECT_EQ(missing_on_slave, 0);
  }

  // Consumers drain everything from broker-a-s and broker-b, broker-a down.
  auto co_base = opts();
  mq::client::consumer_options co;
  static_cast<mq::client::client_options&>(co) = co_base;
  co.group = "ha_drain";
  co.from_where = mq::client::consume_from_where::CONSUME_FROM_FIRST_OFFSET;
  std::mutex mu;
  std::set<std::string> seen;
  std::map<std::string, int> by_broker;
  int deliveries = 0;
  mq::client::push_consumer c(co);
  ASSERT_TRUE(c.subscribe(topic, "*").ok());
  c.register_listener([&](const std::vector<mq::message_ext>& msgs, mq::client::consume_context& ctx) {
    std::lock_guard lk(mu);
    for (auto& m : msgs) {
      auto k = m.keys();
      if (!k.empty()) seen.insert(k.front());
      deliveries++;
      by_broker[ctx.queue.broker_name]++;
    }
    return mq::client::consume_status::CONSUME_SUCCESS;
  });
  ASSERT_TRUE(c.start().ok());
  auto all_seen = [&] {
    std::lock_guard lk(mu);
    for (auto& [key, a] : acks)
      if (!seen.count(key) && (sync || a.broker != "broker-a" || record_at(dir_ + "/broker-a-s", a.offset).size()))
        return false;
    return true;
  };
  EXPECT_TRUE(eventually(all_seen, 120s)) << "consumed " << seen.size() << " of " << acks.size();
  {
    std::lock_guard lk(mu);
    std::printf("cluster %s: drained %zu distinct keys with broker-a down (from broker-a-s: %d, broker-b: %d)\n",
                layout_.c_str(), seen.size(), by_broker["broker-a"], by_broker["broker-b"]);
    EXPECT_GT(by_broker["broker-a"], 0);  // served by the slave
  }

  // broker-a returns: crash recovery, its slave follows again, and it takes
  // new messages that reach the consumer.
  procs_["broker-a"].start(MQ_BROKER_BIN);
  EXPECT_TRUE(procs_["broker-a"].logged("recovered after a crash"));
  EXPECT_TRUE(eventually([&] {
    auto l = slurp(procs_["broker-a"].log);
    return l.rfind("HA: streaming to slave") > l.rfind("recovered after a crash");
  }, 30s));
  // A new producer: the first one keeps broker-a isolated after its
  // failures (latency fault tolerance, as Java's: up to 10 minutes).
  p.shutdown();
  po.group = "ha_producer_2";
  mq::client::producer p2(po);
  ASSERT_TRUE(p2.start().ok());
  int after = 0;
  for (int i = 0; i < 200 && after < 20; ++i) {
    mq::message m;
    m.topic = topic;
    m.set_keys({"after-" + std::to_string(i)});
    m.body = "after the restart";
    auto r = p2.send(m);
    if (r && r->status == send_status::SEND_OK && r->queue.broker_name == "broker-a") after++;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GT(after, 0) << "broker-a took no message after its restart";
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lk(mu);
    int n = 0;
    for (auto& k : seen) n += k.rfind("after-", 0) == 0;
    return n >= after;
  }, 60s));
  c.shutdown();  // commits its offsets -- to broker-a again, which is back

  // The offsets committed while broker-a was down were not lost: a new
  // consumer of the group starts where the first stopped (nothing old is
  // delivered again) and gets what is sent now.
  std::set<std::string> markers_sent;
  for (int i = 0; i < 40; ++i) {
    mq::message m;
    m.topic = topic;
    m.set_keys({"marker-" + std::to_string(i)});
    m.body = "marker";
    auto r = p2.send(m);
    if (r && r->status == send_status::SEND_OK) markers_sent.insert("marker-" + std::to_string(i));
  }
  std::set<std::string> got_markers;
  int old_again = 0;
  {
    mq::client::push_consumer c2(co);
    ASSERT_TRUE(c2.subscribe(topic, "*").ok());
    std::mutex mu2;
    c2.register_listener([&](const std::vector<mq::message_ext>& msgs, mq::client::consume_context&) {
      std::lock_guard lk(mu2);
      for (auto& m : msgs) {
        auto k = m.keys().empty() ? std::string() : m.keys().front();
        if (k.rfind("marker-", 0) == 0) got_markers.insert(k);
        else old_again++;
      }
      return mq::client::consume_status::CONSUME_SUCCESS;
    });
    ASSERT_TRUE(c2.start().ok());
    EXPECT_TRUE(eventually([&] {
      std::lock_guard lk(mu2);
      return got_markers.size() == markers_sent.size();
    }, 60s)) << got_markers.size() << " of " << markers_sent.size() << " markers";
    std::this_thread::sleep_for(1s);
    c2.shutdown();
  }
  std::printf("cluster %s: a new consumer of the group got %zu markers and %d old messages again\n", layout_.c_str(),
              got_markers.size(), old_again);
  // The range consumed from the slave while broker-a was down is never
  // delivered again; at most the last messages before the stop can be (a
  // commit racing the shutdown; docs/cluster.md). 0 in most runs.
  EXPECT_LE(old_again, after);
  p2.shutdown();
  // At-least-once across the master's absence (docs/cluster.md): the
  // consumer kept its offsets in memory and committed them to the master
  // when it came back, so a replay could only come from the slave-served
  // range; report it and hold it to that bound.
  std::lock_guard lk(mu);
  int replays = deliveries - static_cast<int>(seen.size());
  std::printf("cluster %s: %d deliveries of %zu distinct messages (%d replayed)\n", layout_.c_str(), deliveries,
              seen.size(), replays);
  EXPECT_LE(replays, by_broker["broker-a"]);
}

INSTANTIATE_TEST_SUITE_P(Layouts, Cluster, ::testing::Values("2m-2s-sync", "2m-2s-async"),
                         [](const auto& info) { return info.param == "2m-2s-sync" ? "Sync" : "Async"; });

// A consumer further behind than accessMessageInMemoryMaxRatio % of RAM is
// sent to the slave (suggestWhichBrokerId = 1) and reads there. Ratio 0:
// every consumer is "far behind".
class FarBehind : public Cluster {
 protected:
  std::vector<std::string> extra_broker_args() override { return {"accessMessageInMemoryMaxRatio=0"}; }
};

TEST_P(FarBehind, ConsumerFarBehindReadsFromTheSlave) {
  const std::string topic = "far_topic";
  create_topic(topic);
  if (HasFatalFailure()) return;
  mq::client::producer_options po;
  static_cast<mq::client::client_options&>(po) = opts();
  po.group = "far_producer";
  mq::client::producer p(po);
  ASSERT_TRUE(p.start().ok());
  const int n = 400;
  for (int i = 0; i < n; ++i) {
    mq::message m;
    m.topic = topic;
    m.set_keys({"f" + std::to_string(i)});
    m.body = "far " + std::to_string(i);
    auto r = p.send(m);
    ASSERT_TRUE(r && r->status == send_status::SEND_OK) << i;
  }
  auto gets = [&](const std::string& broker) -> int64_t {
    mq::client::admin_client admin(opts());
    if (!admin.start().ok()) return -1;
    auto info = admin.broker_runtime_info(addr_[broker]);
    admin.shutdown();
    if (!info || !info->count("msgGetTotalTodayNow")) return -1;
    return std::stoll(info->at("msgGetTotalTodayNow"));
  };
  mq::client::consumer_options co;
  static_cast<mq::client::client_options&>(co) = opts();
  co.group = "far_group";
  co.from_where = mq::client::consume_from_where::CONSUME_FROM_FIRST_OFFSET;
  std::mutex mu;
  std::set<std::string> seen;
  mq::client::push_consumer c(co);
  ASSERT_TRUE(c.subscribe(topic, "*").ok());
  c.register_listener([&](const std::vector<mq::message_ext>& msgs, mq::client::consume_context&) {
    std::lock_guard lk(mu);
    for (auto& m : msgs) seen.insert(m.keys().empty() ? m.msg_id : m.keys().front());
    return mq::client::consume_status::CONSUME_SUCCESS;
  });
  ASSERT_TRUE(c.start().ok());
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lk(mu);
    return static_cast<int>(seen.size()) == n;
  }, 60s));
  int64_t from_slaves = gets("broker-a-s") + gets("broker-b-s");
  std::printf("far behind: %zu consumed; slaves served %lld messages, masters %lld\n", seen.size(),
              static_cast<long long>(from_slaves), static_cast<long long>(gets("broker-a") + gets("broker-b")));
  EXPECT_GT(from_slaves, 0);
  c.shutdown();
  p.shutdown();
}

INSTANTIATE_TEST_SUITE_P(Layouts, FarBehind, ::testing::Values("2m-2s-async"), [](const auto&) { return "Async"; });

}  // namespace
