// Method + path routing with {name} parameters: "/goods/{id}", "/order/{id}/steps".
// A segment "{name}" matches one non-empty path segment; literal segments
// match exactly. The most specific route wins (literal before parameter at
// the first difference). A path that matches with another method is 405.
//
// Thread-safety: add() before the server starts; match() is const and may be
// called from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mq/http/message.h"

namespace mq::http {

using handler = std::function<response(request&)>;

struct route_info {
  std::string method;
  std::string pattern;
};

class router {
 public:
  // Throws std::invalid_argument for a malformed pattern or a duplicate
  // (method, pattern): these are programming errors found at start-up.
  void add(std::string method, std::string pattern, handler h);

  enum class outcome { found, not_found, method_not_allowed };
  struct match_result {
    outcome result = outcome::not_found;
    const handler* h = nullptr;
    std::string pattern;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // for 405
  };
  match_result match(const std::string& method, const std::string& path) const;

  std::vector<route_info> routes() const;

 private:
  struct entry {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    handler h;
  };
  std::vector<entry> entries_;
};

// "/a/b/" -> {"a", "b"}; "/" -> {}.
std::vector<std::string> split_path(const std::string& path);

}  // namespace mq::http
