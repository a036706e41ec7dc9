// A service's configuration: a key=value file (java.util.Properties syntax,
// mq/common/config.h) with environment overrides. Key `mq.order.topic` is
// overridden by SHOP_MQ_ORDER_TOPIC (prefix SHOP_, upper case, '.' and '-'
// become '_'). Every get() records the key and the value it returned, so
// dump_masked() prints the effective configuration at start, with values of
// keys containing "password", "secret" or "token" and passwords inside URLs
// (scheme://user:password@host) masked.
//
// Thread-safety: get* may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "mq/common/config.h"
#include "mq/common/result.h"

namespace shop {

class service_config {
 public:
  // `path` empty = no file (environment and defaults only). Errors: the
  // file cannot be read or parsed.
  static mq::result<service_config> load(const std::string& path);
  static service_config from_map(mq::properties_map m) {
    service_config c;
    c.file_ = std::move(m);
    return c;
  }

  std::string get(const std::string& key, const std::string& fallback) const;
  // Errors (invalid_argument naming the key) for a value that is not an
  // integer in [lo, hi].
  mq::result<int64_t> get_int(const std::string& key, int64_t fallback, int64_t lo = INT64_MIN,
                              int64_t hi = INT64_MAX) const;
  bool get_bool(const std::string& key, bool fallback) const;

  std::string dump_masked() const;
  static std::string env_name(const std::string& key);
  static std::string mask(const std::string& key, const std::string& value);

  service_config(const service_config& o) : file_(o.file_) {}
  service_config& operator=(const service_config& o) {
    file_ = o.file_;
    return *this;
  }
  service_config() = default;

 private:
  mq::properties_map file_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::string> used_;  // GUARDED_BY(mu_)
};

}  // namespace shop
