// The real mqnamesrv binary: start on a free port, answer a client, print
// its configuration, refuse bad options, stop cleanly on SIGTERM.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "mq/common/loopback_port.h"
#include "mq/remoting/client.h"

namespace {

using namespace std::chrono_literals;

// A port with the two a broker also takes free: listenPort - 2 (fast
// channel) and listenPort + 1 (HA). Port 0 could hand out one whose
// neighbour is taken.
uint16_t free_port() { return mq::loopback_free_port(2, 1); }

struct child {
  pid_t pid = -1;
  int out = -1;
  std::string output;

  child(const std::string& bin, const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv{const_cast<char*>(bin.c_str())};
      for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
  }
  // Read output until `needle` appears or the timeout passes.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (output.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) return output.find(needle) != std::string::npos;
      output.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Exit status, waiting up to `timeout`; -1 if still running.
  int wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  ~child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
  }
};

TEST(Mqnamesrv, ServesAndStopsOnSigterm) {
  uint16_t port = free_port();
  std::string kv = ::testing::TempDir() + "/mqnamesrv-kv-" + std::to_string(::getpid()) + ".json";
  child ns(MQ_NAMESRV_BIN, {"listenPort=" + std::to_string(port), "kvConfigPath=" + kv});
  ASSERT_TRUE(ns.wait_for("boot success", 10s)) << ns.output;
  mq::remoting::remoting_client c;
  auto r = c.invoke_sync("127.0.0.1:" + std::to_string(port),
                         mq::remoting::remoting_command::request(
                             mq::remoting::request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
                         3s);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.code, 0);
  EXPECT_EQ(r.response.body, R"({"topicList":[]})");
  ::kill(ns.pid, SIGTERM);
  EXPECT_EQ(ns.wait_exit(10s), 0);
  std::filesystem::remove(kv);
}

TEST(Mqnamesrv, PrintsConfigAndRejectsBadInput) {
  child p(MQ_NAMESRV_BIN, {"-p", "listenPort=19876"});
  EXPECT_EQ(p.wait_exit(10s), 0);
  p.wait_for("\n", 1s);
  EXPECT_NE(p.output.find("listenPort=19876"), std::string::npos) << p.output;
  EXPECT_NE(p.output.find("orderMessageEnable=false"), std::string::npos);

  child bad(MQ_NAMESRV_BIN, {"--bogus"});
  EXPECT_EQ(bad.wait_exit(10s), 2);
  child port(MQ_NAMESRV_BIN, {"listenPort=notaport"});
  EXPECT_EQ(port.wait_exit(10s), 2);
  port.wait_for("x", 500ms);
  EXPECT_NE(port.output.find("listenPort"), std::string::npos) << port.output;
  child missing(MQ_NAMESRV_BIN, {"-c", "/nonexistent/namesrv.conf"});
  EXPECT_EQ(missing.wait_exit(10s), 2);
}

TEST(Mqnamesrv, BusyPortIsAClearError) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor held(io, {boost::asio::ip::make_address("0.0.0.0"), 0});
  uint16_t port = held.local_endpoint().port();
  child ns(MQ_NAMESRV_BIN, {"listenPort=" + std::to_string(port), "kvConfigPath="});
  EXPECT_EQ(ns.wait_exit(10s), 1);
  ns.wait_for("x", 500ms);
  EXPECT_NE(ns.output.find("cannot listen"), std::string::npos) << ns.output;
}

// The real mqbroker binary with a broker.conf (old "maped" spellings), a
// name server, a send through the fast port too, SIGTERM (what mqshutdown
// sends) with no abort file left, and SIGKILL leading to crash recovery.
TEST(Mqbroker, ConfFileRegisterSendStopAndRecover) {
  namespace rq = mq::remoting::request_code;
  uint16_t ns_port = free_port();
  uint16_t port = free_port();
  std::string dir = ::testing::TempDir() + "/mqbroker-proc-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  {
    FILE* f = std::fopen((dir + "/broker.conf").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f,
                 "brokerClusterName = ProcCluster\nbrokerName=broker-p\nbrokerId=0\nbrokerIP1=127.0.0.1\n"
                 "listenPort=%u\nstorePathRootDir=%s/store\nmapedFileSizeCommitLog=8388608\n"
                 "flushDiskType=SYNC_FLUSH\n",
                 static_cast<unsigned>(port), dir.c_str());
    std::fclose(f);
  }
  child ns(MQ_NAMESRV_BIN, {"listenPort=" + std::to_string(ns_port), "kvConfigPath="});
  ASSERT_TRUE(ns.wait_for("boot success", 10s)) << ns.output;
  std::string ns_addr = "127.0.0.1:" + std::to_string(ns_port);
  std::string addr = "127.0.0.1:" + std::to_string(port);

  child printed(MQ_BROKER_BIN, {"-c", dir + "/broker.conf", "-p"});
  EXPECT_EQ(printed.wait_exit(10s), 0);
  printed.wait_for("\n", 1s);
  EXPECT_NE(printed.output.find("mappedFileSizeCommitLog=8388608"), std::string::npos) << printed.output;
  EXPECT_NE(printed.output.find("brokerClusterName=ProcCluster"), std::string::npos);
  child bad(MQ_BROKER_BIN, {"-c", dir + "/broker.conf", "flushDiskType=NEVER"});
  EXPECT_EQ(bad.wait_exit(10s), 2);

  auto send = [&](mq::remoting::remoting_client& c, const std::string& to) {
    auto r = mq::remoting::remoting_command::request(rq::SEND_MESSAGE_V2);
    for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"a", "PG"}, {"b", "ProcTopic"}, {"c", "TBW102"}, {"d", "4"}, {"e", "0"}, {"f", "0"}, {"g", "1"},
             {"h", "0"}}) {
      r.set(k, v);
    }
    r.body = "persisted";
    return c.invoke_sync(to, std::move(r), 5s);
  };
  {
    child b(MQ_BROKER_BIN, {"-n", ns_addr, "-c", dir + "/broker.conf"});
    ASSERT_TRUE(b.wait_for("boot success", 20s)) << b.output;
    EXPECT_TRUE(std::filesystem::exists(dir + "/store/abort"));
    mq::remoting::remoting_client c;
    auto s1 = send(c, addr);
    ASSERT_TRUE(s1.ok()) << s1.message;
    EXPECT_EQ(s1.response.code, 0) << s1.response.remark.value_or("");
    auto s2 = send(c, "127.0.0.1:" + std::to_string(port - 2));  // the fast (VIP) port
    if (s2.ok()) {
      EXPECT_EQ(s2.response.code, 0);
    }
    auto route = mq::remoting::remoting_command::request(rq::GET_ROUTEINFO_BY_TOPIC);
    route.set("topic", "TBW102");
    auto rr = c.invoke_sync(ns_addr, route, 3s);
    ASSERT_TRUE(rr.ok());
    EXPECT_EQ(rr.response.code, 0);
    EXPECT_NE(rr.response.body.find(addr), std::string::npos);
    ::kill(b.pid, SIGTERM);
    EXPECT_EQ(b.wait_exit(20s), 0);
    b.wait_for("broker broker-p stopped", 2s);
    EXPECT_NE(b.output.find("unregistered from name server"), std::string::npos) << b.output;
    EXPECT_FALSE(std::filesystem::exists(dir + "/store/abort"));
    auto gone = c.invoke_sync(ns_addr, route, 3s);
    EXPECT_EQ(gone.response.code, 17);  // TOPIC_NOT_EXIST: the broker unregistered
  }
  {
    child b(MQ_BROKER_BIN, {"-n", ns_addr, "-c", dir + "/broker.conf"});
    ASSERT_TRUE(b.wait_for("boot success", 20s)) << b.output;
    EXPECT_NE(b.output.find("normal recovery"), std::string::npos) << b.output;
    mq::remoting::remoting_client c;
    auto s = send(c, addr);
    ASSERT_TRUE(s.ok());
    ::kill(b.pid, SIGKILL);
    b.wait_exit(10s);
    EXPECT_TRUE(std::filesystem::exists(dir + "/store/abort"));
  }
  {
    child b(MQ_BROKER_BIN, {"-n", ns_addr, "-c", dir + "/broker.conf"});
    ASSERT_TRUE(b.wait_for("boot success", 20s)) << b.output;
    EXPECT_NE(b.output.find("recovered after a crash"), std::string::npos) << b.output;
    mq::remoting::remoting_client c;
    auto mx = mq::remoting::remoting_command::request(rq::GET_MAX_OFFSET);
    mx.set("topic", "ProcTopic");
    mx.set("queueId", "0");
    auto m = c.invoke_sync(addr, mx, 3s);
    ASSERT_TRUE(m.ok());
    // Three SYNC_FLUSH sends were acknowledged (or two if the fast port was
    // not served); all survived the SIGKILL.
    EXPECT_GE(*m.response.field_int("offset"), 2);
    ::kill(b.pid, SIGTERM);
    EXPECT_EQ(b.wait_exit(20s), 0);
  }
  ::kill(ns.pid, SIGTERM);
  ns.wait_exit(10s);
  std::filesystem::remove_all(dir);
}

TEST(Mqshutdown, UsageErrors) {
  child s(MQ_SHUTDOWN_BIN, {"everything"});
  EXPECT_EQ(s.wait_exit(10s), 2);
}

}  // namespace
