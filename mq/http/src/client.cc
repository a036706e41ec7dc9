#include "mq/http/client.h"

#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mq::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
// One connection with its own io_context, used by one thread at a time.
struct connection {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
};
}  // namespace

struct client::impl {
  client_options opts;
  std::mutex mu;
  std::map<std::string, std::deque<std::unique_ptr<connection>>> idle;  // GUARDED_BY(mu)

  std::unique_ptr<connection> take(const std::string& host_port) {
    std::lock_guard lk(mu);
    auto& q = idle[host_port];
    // Connections idle longer than max_idle_time may already be closed by
    // the server: drop them rather than risk a request on a dead socket.
    auto cutoff = std::chrono::steady_clock::now() - opts.max_idle_time;
    while (!q.empty()) {
      auto c = std::move(q.back());
      q.pop_back();
      if (c->idle_since >= cutoff) return c;
    }
    return nullptr;
  }
  void give_back(const std::string& host_port, std::unique_ptr<connection> c) {
    std::lock_guard lk(mu);
    auto& q = idle[host_port];
    c->idle_since = std::chrono::steady_clock::now();
    if (q.size() < opts.max_idle_per_host) q.push_back(std::move(c));
  }

  // Runs the io_context until `done` or the timeout (the stream's own expiry
  // cancels the operation; this is the backstop).
  static void run(connection& c) {
    c.ioc.restart();
    c.ioc.run();
  }

  mq::result<std::unique_ptr<connection>> open(const std::string& host, const std::string& port) {
    auto c = std::make_unique<connection>();
    tcp::resolver resolver(c->ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return mq::status::error(mq::errc::io_error, "cannot resolve " + host + ": " + ec.message());
    c->stream.expires_after(opts.connect_timeout);
    c->stream.async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run(*c);
    if (ec) {
      auto code = ec == beast::error::timeout ? mq::errc::timeout : mq::errc::io_error;
      return mq::status::error(code, "cannot connect to " + host + ":" + port + ": " + ec.message());
    }
    return c;
  }

  // One attempt on one connection; `reused` tells whether a stale keep-alive
  // connection may explain an error (then the caller retries once at no cost).
  mq::result<client_response> once(connection& c, const bhttp::request<bhttp::string_body>& req, bool* keep) {
    beast::error_code ec;
    c.stream.expires_after(opts.request_timeout);
    bhttp::async_write(c.stream, req, [&ec](beast::error_code e, size_t) { ec = e; });
    run(c);
    if (ec) return mq::status::error(ec == beast::error::timeout ? mq::errc::timeout : mq::errc::io_error,
                                     "write failed: " + ec.message());
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(opts.max_response_body);
    bhttp::async_read(c.stream, c.buffer, parser, [&ec](beast::error_code e, size_t) { ec = e; });
    run(c);
    if (ec) return mq::status::error(ec == beast::error::timeout ? mq::errc::timeout : mq::errc::io_error,
                                     "read failed: " + ec.message());
    auto res = parser.release();
    client_response out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (auto& f : res) {
      std::string name(f.name_string());
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out.headers[name] = std::string(f.value());
    }
    *keep = res.keep_alive();
    return out;
  }
};

client::client(client_options opts) : impl_(std::make_unique<impl>()) { impl_->opts = opts; }
client::~client() = default;

mq::result<client_response> client::request(const std::string& method, const std::string& base_in,
                                            const std::string& target, const std::string& body, idempotent retry,
                                            const std::map<std::string, std::string>& headers) {
  std::string base = base_in;
  if (base.starts_with("http://")) base = base.substr(7);
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto colon = base.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == base.size())
    return mq::status::error(mq::errc::invalid_argument, "bad base address '" + base_in + "' (want host:port)");
  std::string host = base.substr(0, colon), port = base.substr(colon + 1);
  auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) return mq::status::error(mq::errc::invalid_argument, "bad method " + method);
  if (target.empty() || target[0] != '/') return mq::status::error(mq::errc::invalid_argument, "bad target " + target);

  bhttp::request<bhttp::string_body> req{verb, target, 11};
  req.set(bhttp::field::host, base);
  req.set(bhttp::field::user_agent, "shop-http-client");
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  for (auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.keep_alive(true);
  req.prepare_payload();

  int attempts = 1 + (retry == idempotent::yes ? std::max(0, impl_->opts.retries_for_idempotent) : 0);
  mq::status last;
  for (int a = 0; a < attempts; ++a) {
    if (a > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 << (a - 1)));
    // A pooled connection may have been closed by the server while idle: a
    // failure on one is retried on a fresh connection without counting.
    for (int fresh = 0; fresh < 2; ++fresh) {
      std::unique_ptr<connection> c = fresh == 0 ? impl_->take(base) : nullptr;
      bool reused = c != nullptr;
      if (!c) {
        auto o = impl_->open(host, port);
        if (!o) {
          last = o.error();
          break;
        }
        c = std::move(*o);
      }
      bool keep = false;
      auto r = impl_->once(*c, req, &keep);
      if (r) {
        if (keep) impl_->give_back(base, std::move(c));
        bool transient = r->status == 502 || r->status == 503 || r->status == 504;
        if (transient && retry == idempotent::yes && a + 1 < attempts) {
          last = mq::status::error(mq::errc::io_error, "HTTP " + std::to_string(r->status));
          break;
        }
        return r;
      }
      last = r.error();
      // Only a reused connection that failed before any response earns a free retry,
      // and only if the request cannot have been applied twice (idempotent) or it
      // failed writing (the server never saw a complete request).
      if (!reused || last.code == mq::errc::timeout ||
          (retry == idempotent::no && last.message.rfind("write failed", 0) != 0))
        break;
    }
  }
  return last;
}

}  // namespace mq::http
