// A blocking HTTP/1.1 client on Boost.Beast (Beast stays in client.cc) for
// service-to-service calls: keep-alive connections reused per host, a
// connect timeout and a whole-request timeout, and a bounded retry for
// idempotent calls (connect failure, reset, timeout, 502/503/504).
//
// Thread-safety: all members may be called from any thread; each call uses
// its own connection (taken from the idle pool or newly opened).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "mq/common/result.h"

namespace mq::http {

struct client_options {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(2);
  std::chrono::milliseconds request_timeout = std::chrono::seconds(5);
  int retries_for_idempotent = 2;  // extra attempts, with 50 ms, 100 ms ... back-off
  size_t max_idle_per_host = 16;
  // Reuse an idle connection only within this time (below the servers'
  // keep-alive idle timeout, 60 s for mq::http::server).
  std::chrono::milliseconds max_idle_time = std::chrono::seconds(20);
  size_t max_response_body = 8 * 1024 * 1024;
};

struct client_response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

enum class idempotent { no, yes };

class client {
 public:
  explicit client(client_options opts = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // `base` is "host:port" (or "http://host:port"); `target` "/path?query".
  // Errors: timeout, io_error (connect / protocol), invalid_argument.
  // Any HTTP status is a successful result.
  mq::result<client_response> request(const std::string& method, const std::string& base, const std::string& target,
                                       const std::string& body = "", idempotent retry = idempotent::no,
                                       const std::map<std::string, std::string>& headers = {});
  mq::result<client_response> get(const std::string& base, const std::string& target) {
    return request("GET", base, target, "", idempotent::yes);
  }
  mq::result<client_response> post_json(const std::string& base, const std::string& target, const std::string& json,
                                        idempotent retry = idempotent::no,
                                        const std::map<std::string, std::string>& headers = {}) {
    return request("POST", base, target, json, retry, headers);
  }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mq::http
