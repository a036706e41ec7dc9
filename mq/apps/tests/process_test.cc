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

#include "mq/remoting/client.h"

namespace {

using namespace std::chrono_literals;

uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

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

TEST(Mqshutdown, UsageErrors) {
  child s(MQ_SHUTDOWN_BIN, {"everything"});
  EXPECT_EQ(s.wait_exit(10s), 2);
}

}  // namespace
