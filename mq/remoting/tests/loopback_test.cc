// Loopback tests with real sockets: mq::remoting server and client, plus raw
// blocking sockets playing hostile or slow peers.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "mq/remoting/client.h"
#include "mq/remoting/frame.h"
#include "mq/remoting/server.h"

namespace mq::remoting {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr int32_t kEcho = 9001;
constexpr int32_t kSlow = 9002;
constexpr int32_t kBig = 9003;
constexpr int32_t kCount = 9004;

struct fixture {
  std::shared_ptr<bounded_executor> pool = std::make_shared<bounded_executor>("test", 4, 4096);
  std::atomic<int> counted{0};
  std::atomic<int> big_served{0};
  std::unique_ptr<remoting_server> server;

  explicit fixture(server_options o = {}) {
    o.bind_address = "127.0.0.1";
    server = std::make_unique<remoting_server>(o);
    server->register_processor(
        kEcho,
        [](const channel_ptr&, remoting_command& req) {
          auto r = remoting_command::response_to(req, response_code::SUCCESS);
          r.body = req.body;
          r.ext_fields = req.ext_fields;
          return std::optional<remoting_command>(r);
        },
        pool);
    server->register_processor(
        kSlow,
        [](const channel_ptr&, remoting_command& req) {
          std::this_thread::sleep_for(std::chrono::milliseconds(req.field_int("ms").value_or(300)));
          return std::optional<remoting_command>(remoting_command::response_to(req, response_code::SUCCESS));
        },
        pool);
    server->register_processor(
        kBig,
        [this](const channel_ptr&, remoting_command& req) {
          big_served++;
          auto r = remoting_command::response_to(req, response_code::SUCCESS);
          r.body.assign(256 * 1024, 'b');
          return std::optional<remoting_command>(r);
        },
        pool);
    server->register_processor(
        kCount,
        [this](const channel_ptr&, remoting_command&) {
          counted++;
          return std::optional<remoting_command>();
        },
        pool);
    std::string err;
    if (!server->start(&err)) throw std::runtime_error(err);
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(server->port()); }
};

// A blocking raw socket peer.
struct raw_peer {
  asio::io_context io;
  tcp::socket sock{io};
  explicit raw_peer(uint16_t port) { sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)); }
  void write(const std::string& bytes) { asio::write(sock, asio::buffer(bytes)); }
  // Reads one frame; false on EOF/error.
  bool read_frame(remoting_command& out) {
    std::string head(4, '\0');
    boost::system::error_code ec;
    asio::read(sock, asio::buffer(head), ec);
    if (ec) return false;
    uint32_t len = (uint8_t(head[0]) << 24) | (uint8_t(head[1]) << 16) | (uint8_t(head[2]) << 8) | uint8_t(head[3]);
    std::string rest(len, '\0');
    asio::read(sock, asio::buffer(rest), ec);
    if (ec) return false;
    return decode_frame(head + rest, out).status == decode_status::frame;
  }
  // True when the server closed the connection (EOF) within `wait`.
  bool closed_by_peer(std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    sock.non_blocking(true);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      sock.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      if (ec) return true;  // eof or reset
    }
    return false;
  }
};

remoting_command echo_req(const std::string& body) {
  auto r = remoting_command::request(kEcho);
  r.body = body;
  r.set("k", body.substr(0, 8));
  return r;
}

void expect_server_still_serves(fixture& f) {
  remoting_client c;
  auto r = c.invoke_sync(f.addr(), echo_req("still-alive"), 3s);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.body, "still-alive");
}

TEST(Loopback, SyncRequestResponse) {
  fixture f;
  remoting_client c;
  auto r = c.invoke_sync(f.addr(), echo_req("hello"), 3s);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.code, response_code::SUCCESS);
  EXPECT_EQ(r.response.body, "hello");
  EXPECT_EQ(*r.response.field("k"), "hello");
  EXPECT_EQ(r.response.version, current_version);
}

TEST(Loopback, AsyncAndOneway) {
  fixture f;
  remoting_client c;
  std::promise<invoke_result> p;
  c.invoke_async(f.addr(), echo_req("async"), 3s, [&](invoke_result r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.body, "async");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.invoke_oneway(f.addr(), remoting_command::request(kCount)), errc::ok);
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (f.counted.load() < 10 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
  EXPECT_EQ(f.counted.load(), 10);
}

TEST(Loopback, TimeoutFiresAndLateResponseIsIgnored) {
  fixture f;
  remoting_client c;
  auto req = remoting_command::request(kSlow);
  req.set("ms", "400");
  auto t0 = std::chrono::steady_clock::now();
  auto r = c.invoke_sync(f.addr(), req, 100ms);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.error, errc::timeout);
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 350ms);
  std::this_thread::sleep_for(400ms);  // the late response arrives and is dropped
  auto r2 = c.invoke_sync(f.addr(), echo_req("after"), 3s);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2.response.body, "after");
}

TEST(Loopback, ThousandConcurrentInFlight) {
  fixture f;
  remoting_client c;
  constexpr int kN = 1000;
  std::vector<std::promise<invoke_result>> ps(kN);
  for (int i = 0; i < kN; ++i) {
    c.invoke_async(f.addr(), echo_req("m" + std::to_string(i)), 10s,
                   [&ps, i](invoke_result r) { ps[i].set_value(std::move(r)); });
  }
  for (int i = 0; i < kN; ++i) {
    auto r = ps[i].get_future().get();
    ASSERT_TRUE(r.ok()) << i << " " << r.message;
    EXPECT_EQ(r.response.body, "m" + std::to_string(i));  // matched by opaque
  }
}

// Frames written straight from the callers' threads (enqueue's direct path)
// and, when the socket fills, handed to the strand: from 8 threads, large
// and small echoes interleave on one connection and every response matches
// its request byte for byte.
TEST(Loopback, DirectAndQueuedWritesKeepFramesWhole) {
  fixture f;
  remoting_client c;
  std::atomic<int> bad{0}, ok{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        size_t n = (i % 4 == 0) ? (1u << 20) + 7 * t + i : 16 + t;  // 1 MiB frames overflow the socket buffer
        std::string body(n, static_cast<char>('a' + (t + i) % 26));
        body[0] = static_cast<char>('0' + t);
        auto r = c.invoke_sync(f.addr(), echo_req(body), 10s);
        (r.ok() && r.response.body == body ? ok : bad)++;
      }
    });
  for (auto& th : ts) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ok.load(), 8 * 40);
}

// Closing a connection while threads are writing to it fails their invokes
// cleanly (no crash, no hang), and the next invokes reconnect.
TEST(Loopback, CloseWhileWritingFailsCleanlyAndReconnects) {
  fixture f;
  remoting_client c;
  std::atomic<bool> stop{false};
  std::atomic<int> done{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      while (!stop) {
        (void)c.invoke_sync(f.addr(), echo_req(std::string(256 * 1024, 'x')), 5s);
        done++;
      }
    });
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(20ms);
    c.close_channel(f.addr());
  }
  stop = true;
  for (auto& th : ts) th.join();
  EXPECT_GT(done.load(), 0);
  expect_server_still_serves(f);
  auto r = c.invoke_sync(f.addr(), echo_req("after"), 3s);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.body, "after");
}

TEST(Loopback, UnknownCodeAnswersRequestCodeNotSupported) {
  fixture f;
  remoting_client c;
  auto r = c.invoke_sync(f.addr(), remoting_command::request(4242), 3s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
  EXPECT_EQ(r.response.remark, std::optional<std::string>(" request type 4242 not supported"));
}

TEST(Loopback, FullPoolAnswersSystemBusy) {
  server_options o;
  o.bind_address = "127.0.0.1";
  remoting_server s(o);
  auto tiny = std::make_shared<bounded_executor>("tiny", 1, 1);
  s.register_processor(
      kSlow,
      [](const channel_ptr&, remoting_command& req) {
        std::this_thread::sleep_for(200ms);
        return std::optional<remoting_command>(remoting_command::response_to(req, 0));
      },
      tiny);
  ASSERT_TRUE(s.start());
  remoting_client c;
  std::string addr = "127.0.0.1:" + std::to_string(s.port());
  std::vector<std::promise<invoke_result>> ps(5);
  for (int i = 0; i < 5; ++i) {
    c.invoke_async(addr, remoting_command::request(kSlow), 5s, [&ps, i](invoke_result r) { ps[i].set_value(r); });
  }
  int busy = 0, ok = 0;
  for (auto& p : ps) {
    auto r = p.get_future().get();
    ASSERT_TRUE(r.ok());
    if (r.response.code == response_code::SYSTEM_BUSY) {
      busy++;
      EXPECT_EQ(r.response.remark, std::optional<std::string>("[OVERLOAD]system busy, start flow control for a while"));
    } else {
      ok++;
    }
  }
  EXPECT_GE(busy, 1);
  EXPECT_GE(ok, 1);
  EXPECT_EQ(busy + ok, 5);
  s.stop();
}

TEST(Loopback, RocketmqEncodedRequestGetsRocketmqEncodedResponse) {
  fixture f;
  raw_peer p(f.server->port());
  auto req = echo_req("bin");
  req.opaque = 77;
  req.type = serialize_type::rocketmq;
  p.write(encode_frame(req));
  remoting_command resp;
  ASSERT_TRUE(p.read_frame(resp));
  EXPECT_EQ(resp.type, serialize_type::rocketmq);
  EXPECT_EQ(resp.opaque, 77);
  EXPECT_EQ(resp.body, "bin");
}

TEST(Loopback, PeerClosingMidFrameDoesNotHurtTheServer) {
  fixture f;
  {
    raw_peer p(f.server->port());
    std::string frame = encode_frame(echo_req("partial"));
    p.write(frame.substr(0, frame.size() / 2));
    p.sock.close();
  }
  {
    raw_peer p(f.server->port());
    p.write(std::string("\x00\x00", 2));  // half a length word
  }
  expect_server_still_serves(f);
}

TEST(Loopback, OversizeFrameClosesOnlyThatConnection) {
  server_options o;
  o.max_frame_size = 1024 * 1024;
  fixture f(o);
  raw_peer bad(f.server->port());
  bad.write(std::string("\x7f\xff\xff\xf0\x00\x00\x00\x10", 8));  // claims ~2 GiB
  EXPECT_TRUE(bad.closed_by_peer(3s));
  raw_peer neg(f.server->port());
  neg.write(std::string("\xff\xff\xff\xfe\x00\x00\x00\x10", 8));  // negative length
  EXPECT_TRUE(neg.closed_by_peer(3s));
  raw_peer over(f.server->port());
  over.write(std::string("\x00\x10\x00\x01\x00\x00\x00\x10", 8));  // 1 MiB + 1
  EXPECT_TRUE(over.closed_by_peer(3s));
  expect_server_still_serves(f);
}

TEST(Loopback, UnparsableHeaderClosesOnlyThatConnection) {
  fixture f;
  raw_peer p(f.server->port());
  std::string h = "{\"code\":";  // broken JSON
  std::string frame;
  uint32_t len = 4 + h.size();
  for (int s = 24; s >= 0; s -= 8) frame.push_back(char(len >> s));
  for (int s = 24; s >= 0; s -= 8) frame.push_back(char(h.size() >> s));
  p.write(frame + h);
  EXPECT_TRUE(p.closed_by_peer(3s));
  expect_server_still_serves(f);
}

TEST(Loopback, SlowReaderMakesTheServerStopReadingNotBuffer) {
  server_options o;
  o.write_queue_soft_limit = 1024 * 1024;
  o.write_queue_hard_limit = 4 * 1024 * 1024;
  o.max_inflight_requests = 16;
  fixture f(o);
  raw_peer p(f.server->port());
  constexpr int kRequests = 2000;  // 2000 x 256 KiB = 500 MiB of responses if unbounded
  std::string all;
  for (int i = 0; i < kRequests; ++i) {
    auto r = remoting_command::request(kBig);
    r.opaque = i;
    all += encode_frame(r);
  }
  // Write from a thread: the server stops reading, so this write blocks.
  std::thread writer([&] {
    boost::system::error_code ec;
    asio::write(p.sock, asio::buffer(all), ec);
  });
  std::this_thread::sleep_for(1500ms);
  int served_while_stalled = f.big_served.load();
  // Bounded by the soft limit plus kernel socket buffers, far below 2000.
  EXPECT_LT(served_while_stalled, 400) << "server kept producing responses for a peer that does not read";
  std::this_thread::sleep_for(500ms);
  EXPECT_LE(f.big_served.load(), served_while_stalled + 8);  // and it stays stalled
  // Now read everything: every response arrives, in order.
  for (int i = 0; i < kRequests; ++i) {
    remoting_command resp;
    ASSERT_TRUE(p.read_frame(resp)) << i;
    ASSERT_EQ(resp.body.size(), 256u * 1024);
  }
  writer.join();
  EXPECT_EQ(f.big_served.load(), kRequests);
}

TEST(Loopback, ServerInitiatedRequestsReachClientProcessors) {
  std::promise<channel_ptr> got_channel;
  server_options o;
  o.bind_address = "127.0.0.1";
  remoting_server s(o);
  auto pool = std::make_shared<bounded_executor>("srv", 2, 100);
  std::atomic<bool> once{false};
  s.register_processor(
      request_code::HEART_BEAT,
      [&](const channel_ptr& ch, remoting_command& req) {
        if (!once.exchange(true)) got_channel.set_value(ch);
        return std::optional<remoting_command>(remoting_command::response_to(req, 0));
      },
      pool);
  ASSERT_TRUE(s.start());

  remoting_client c;
  auto cpool = std::make_shared<bounded_executor>("cli", 1, 100);
  std::promise<std::string> notified;
  c.register_processor(
      request_code::NOTIFY_CONSUMER_IDS_CHANGED,
      [&](const channel_ptr&, remoting_command& req) {
        notified.set_value(*req.field("consumerGroup"));
        return std::optional<remoting_command>();
      },
      cpool);
  c.register_processor(
      request_code::GET_CONSUMER_RUNNING_INFO,
      [&](const channel_ptr&, remoting_command& req) {
        auto r = remoting_command::response_to(req, 0);
        r.body = "{\"running\":true}";
        return std::optional<remoting_command>(r);
      },
      cpool);
  std::string addr = "127.0.0.1:" + std::to_string(s.port());
  ASSERT_TRUE(c.invoke_sync(addr, remoting_command::request(request_code::HEART_BEAT), 3s).ok());
  auto ch = got_channel.get_future().get();

  auto notify = remoting_command::request(request_code::NOTIFY_CONSUMER_IDS_CHANGED);
  notify.set("consumerGroup", "cg1");
  EXPECT_EQ(ch->invoke_oneway(notify), errc::ok);
  auto nf = notified.get_future();
  ASSERT_EQ(nf.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(nf.get(), "cg1");

  auto info = ch->invoke_sync(remoting_command::request(request_code::GET_CONSUMER_RUNNING_INFO), 3s);
  ASSERT_TRUE(info.ok()) << info.message;
  EXPECT_EQ(info.response.body, "{\"running\":true}");
  // A code the client does not handle gets REQUEST_CODE_NOT_SUPPORTED back.
  auto unk = ch->invoke_sync(remoting_command::request(request_code::RESET_CONSUMER_CLIENT_OFFSET), 3s);
  ASSERT_TRUE(unk.ok());
  EXPECT_EQ(unk.response.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
  s.stop();
}

TEST(Loopback, ConnectFailureIsReportedQuickly) {
  // Grab a free port, then close it so nothing listens there.
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = a.local_endpoint().port();
  a.close();
  remoting_client c;
  auto t0 = std::chrono::steady_clock::now();
  auto r = c.invoke_sync("127.0.0.1:" + std::to_string(port), echo_req("x"), 3s);
  EXPECT_EQ(r.error, errc::connect_failed) << r.message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  auto bad = c.invoke_sync("no-port-here", echo_req("x"), 1s);
  EXPECT_EQ(bad.error, errc::connect_failed);
}

TEST(Loopback, ClientReconnectsAfterServerRestart) {
  auto f = std::make_unique<fixture>();
  uint16_t port = f->server->port();
  remoting_client c;
  std::string addr = "127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(c.invoke_sync(addr, echo_req("one"), 3s).ok());
  f->server->stop();
  std::this_thread::sleep_for(50ms);
  auto down = c.invoke_sync(addr, echo_req("two"), 1s);
  EXPECT_FALSE(down.ok());
  server_options o;
  o.port = port;
  o.bind_address = "127.0.0.1";
  remoting_server s2(o);
  auto pool = std::make_shared<bounded_executor>("p", 1, 10);
  s2.register_processor(
      kEcho,
      [](const channel_ptr&, remoting_command& req) {
        auto r = remoting_command::response_to(req, 0);
        r.body = req.body;
        return std::optional<remoting_command>(r);
      },
      pool);
  ASSERT_TRUE(s2.start());
  auto up = c.invoke_sync(addr, echo_req("three"), 3s);
  ASSERT_TRUE(up.ok()) << up.message;
  EXPECT_EQ(up.response.body, "three");
  s2.stop();
}

TEST(Loopback, GracefulStopFinishesInFlightRequests) {
  fixture f;
  remoting_client c;
  std::promise<invoke_result> p;
  auto req = remoting_command::request(kSlow);
  req.set("ms", "300");
  c.invoke_async(f.addr(), req, 5s, [&](invoke_result r) { p.set_value(std::move(r)); });
  std::this_thread::sleep_for(100ms);  // the request is being processed
  f.server->stop();
  auto r = p.get_future().get();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.code, response_code::SUCCESS);
  // After stop nothing listens.
  auto after = c.invoke_sync(f.addr(), echo_req("x"), 1s);
  EXPECT_FALSE(after.ok());
}

TEST(Loopback, IdleConnectionsAreClosed) {
  server_options o;
  o.idle_timeout = 200ms;
  fixture f(o);
  raw_peer p(f.server->port());
  EXPECT_TRUE(p.closed_by_peer(3s));
}

TEST(Loopback, ClientShutdownFailsPendingInvokes) {
  fixture f;
  auto c = std::make_unique<remoting_client>();
  std::promise<invoke_result> p;
  auto req = remoting_command::request(kSlow);
  req.set("ms", "1000");
  c->invoke_async(f.addr(), req, 10s, [&](invoke_result r) { p.set_value(std::move(r)); });
  std::this_thread::sleep_for(100ms);
  c->shutdown();
  auto fut = p.get_future();
  ASSERT_EQ(fut.wait_for(2s), std::future_status::ready);
  EXPECT_FALSE(fut.get().ok());
}

}  // namespace
}  // namespace mq::remoting
