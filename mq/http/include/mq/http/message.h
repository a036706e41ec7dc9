// HTTP requests and responses as plain values: what handlers see and return.
// No Beast here (the server and client keep Beast in their .cc files).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mq::http {

// Case-insensitive ordering for header names.
struct ci_less {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

struct request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path + query
  std::string path;    // percent-decoded path, no query
  std::map<std::string, std::string> query;   // decoded ?a=b&c (c → "")
  std::map<std::string, std::string> params;  // {name} path parameters filled by the router
  std::map<std::string, std::string, ci_less> headers;
  std::string body;
  std::string remote;  // "ip:port" of the peer
  std::string route;   // the matched route pattern ("/goods/{id}"), for logs and metrics

  const std::string* header(std::string_view name) const;
  const std::string* param(std::string_view name) const;
  bool has_query(std::string_view name) const { return query.contains(std::string(name)); }
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static response json(int status, std::string body) { return {status, "application/json", std::move(body), {}}; }
  static response text(int status, std::string body) {
    return {status, "text/plain; charset=utf-8", std::move(body), {}};
  }
};

// Splits "a=1&b=%20x&c" into decoded pairs; '+' is a space. Bad %-escapes are kept literally.
std::map<std::string, std::string> parse_query(std::string_view q);
// Percent-decoding of a path; nullopt for a bad escape or an encoded NUL/slash.
std::optional<std::string> decode_path(std::string_view p);

}  // namespace mq::http
