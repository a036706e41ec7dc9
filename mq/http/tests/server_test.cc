// The HTTP server and client over real sockets on loopback.
#include "mq/http/server.h"

#include <atomic>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "mq/http/client.h"

namespace mq::http {
namespace {

using namespace std::chrono_literals;

struct fixture {
  std::unique_ptr<server> srv;
  std::string base;
  std::atomic<int> slow_calls{0};
  explicit fixture(server_options o = {}) {
    router r;
    r.add("GET", "/echo/{id}", [](request& req) {
      return response::json(200, "{\"id\":\"" + *req.param("id") + "\",\"q\":\"" +
                                     (req.query.contains("x") ? req.query["x"] : "") + "\"}");
    });
    r.add("POST", "/echo", [](request& req) { return response::json(200, req.body); });
    r.add("GET", "/slow", [this](request&) {
      slow_calls++;
      std::this_thread::sleep_for(300ms);
      return response::text(200, "slow");
    });
    r.add("GET", "/throw", [](request&) -> response { throw std::runtime_error("boom"); });
    o.service = "test";
    srv = std::make_unique<server>(o, std::move(r));
    std::string err;
    if (!srv->start(&err)) throw std::runtime_error(err);
    base = "127.0.0.1:" + std::to_string(srv->port());
  }
};

TEST(Server, RoutesParamsQueryAndBody) {
  fixture f;
  client c;
  auto r = c.get(f.base, "/echo/42?x=a%20b");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"id":"42","q":"a b"})");
  EXPECT_EQ(r->headers["content-type"], "application/json");
  auto p = c.post_json(f.base, "/echo", R"({"a":1})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->body, R"({"a":1})");
  // Keep-alive: many calls, few connections (the client reuses them).
  for (int i = 0; i < 50; ++i) ASSERT_EQ(c.get(f.base, "/echo/" + std::to_string(i))->status, 200);
}

TEST(Server, ErrorsAreResults) {
  fixture f;
  f.srv->set_error_body([](int status, const std::string& m) {
    return "{\"success\":false,\"code\":" + std::to_string(9000 + status) + ",\"message\":\"" + m + "\"}";
  });
  client c;
  auto nf = c.get(f.base, "/nope");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_NE(nf->body.find("9404"), std::string::npos);
  auto na = c.request("DELETE", f.base, "/echo");
  ASSERT_TRUE(na);
  EXPECT_EQ(na->status, 405);
  EXPECT_EQ(na->headers["allow"], "POST");
  auto th = c.get(f.base, "/throw");
  ASSERT_TRUE(th);
  EXPECT_EQ(th->status, 500);
  // The server survives all of that.
  EXPECT_EQ(c.get(f.base, "/echo/1")->status, 200);
}

TEST(Server, BodyLimitGives413) {
  server_options o;
  o.body_limit = 1024;
  fixture f(o);
  client c;
  auto r = c.post_json(f.base, "/echo", std::string(2048, 'x'));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 413);
  auto ok = c.post_json(f.base, "/echo", std::string(1000, 'y'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

// Raw socket helpers for hostile clients.
std::string raw_exchange(uint16_t port, const std::string& bytes, std::chrono::milliseconds wait) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(s, boost::asio::buffer(bytes));
  std::this_thread::sleep_for(wait);
  std::string out;
  s.non_blocking(true);
  char buf[4096];
  boost::system::error_code ec;
  for (int i = 0; i < 100; ++i) {
    size_t n = s.read_some(boost::asio::buffer(buf), ec);
    if (n > 0) out.append(buf, n);
    if (ec == boost::asio::error::would_block) {
      std::this_thread::sleep_for(10ms);
      continue;
    }
    if (ec) break;
  }
  return out;
}

TEST(Server, MalformedRequestsGet400AndTheServerLives) {
  fixture f;
  auto out = raw_exchange(f.srv->port(), "GARBAGE\r\n\r\n", 100ms);
  EXPECT_NE(out.find("400"), std::string::npos) << out;
  out = raw_exchange(f.srv->port(), "GET /echo/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 100ms);
  EXPECT_NE(out.find("400"), std::string::npos) << out;
  client c;
  EXPECT_EQ(c.get(f.base, "/echo/1")->status, 200);
}

TEST(Server, SilentClientIsDroppedAfterTheReadTimeout) {
  server_options o;
  o.read_timeout = 200ms;
  fixture f(o);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), f.srv->port()});
  boost::asio::write(s, boost::asio::buffer(std::string("GET /echo/1 HTTP/1.1\r\nHo")));  // and then nothing
  char buf[16];
  boost::system::error_code ec;
  auto begin = std::chrono::steady_clock::now();
  s.read_some(boost::asio::buffer(buf), ec);  // returns when the server closes
  EXPECT_TRUE(ec);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
}

TEST(Server, HealthReadinessAndMetrics) {
  fixture f;
  std::atomic<bool> db_up{true};
  f.srv->add_ready_check("db", [&] { return db_up.load(); });
  f.srv->add_ready_check("broker", [] { return true; });
  client c;
  EXPECT_EQ(c.get(f.base, "/healthz")->status, 200);
  EXPECT_EQ(c.get(f.base, "/readyz")->status, 200);
  db_up = false;
  auto r = c.get(f.base, "/readyz?verbose");
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("\"db\":\"DOWN\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"broker\":\"UP\""), std::string::npos);
  c.get(f.base, "/echo/5");
  auto m = c.get(f.base, "/metrics");
  ASSERT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("route=\"/echo/{id}\""), std::string::npos) << m->body;
}

TEST(Server, FullWorkerPoolAnswers503) {
  server_options o;
  o.worker_threads = 1;
  o.worker_queue = 1;
  fixture f(o);
  std::vector<std::thread> ts;
  std::atomic<int> ok{0}, busy{0};
  for (int i = 0; i < 6; ++i) {
    ts.emplace_back([&] {
      client c;
      auto r = c.request("GET", f.base, "/slow", "", idempotent::no);
      if (r && r->status == 200) ok++;
      if (r && r->status == 503) busy++;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(busy.load(), 1);
  EXPECT_EQ(ok + busy, 6);
}

TEST(Server, GracefulStopFinishesInFlightRequests) {
  fixture f;
  std::atomic<int> status{0};
  std::thread t([&] {
    client c;
    auto r = c.get(f.base, "/slow");
    status = r ? r->status : -1;
  });
  while (f.slow_calls == 0) std::this_thread::sleep_for(5ms);
  f.srv->stop();
  t.join();
  EXPECT_EQ(status.load(), 200);
  client c({.connect_timeout = 300ms, .retries_for_idempotent = 0});
  EXPECT_FALSE(c.get(f.base, "/echo/1"));
}

TEST(Client, ErrorsAndRetries) {
  client c({.connect_timeout = 300ms, .request_timeout = 120ms, .retries_for_idempotent = 1});
  auto r = c.get("127.0.0.1:1", "/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(c.get("nonsense", "/x").error().code, mq::errc::invalid_argument);
  fixture f;
  auto slow = c.get(f.base, "/slow");  // 300 ms handler vs a 120 ms timeout: times out, retried once
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, mq::errc::timeout);
  EXPECT_EQ(f.slow_calls.load(), 2);
}

}  // namespace
}  // namespace mq::http
