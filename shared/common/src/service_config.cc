#include "shop/common/service_config.h"

#include <cstdlib>

namespace shop {

mq::result<service_config> service_config::load(const std::string& path) {
  service_config c;
  if (path.empty()) return c;
  auto m = mq::load_properties_file(path);
  if (!m) return m.error();
  c.file_ = std::move(*m);
  return c;
}

std::string service_config::env_name(const std::string& key) {
  std::string out = "SHOP_";
  for (char ch : key) out += (ch == '.' || ch == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string service_config::get(const std::string& key, const std::string& fallback) const {
  std::string v = fallback;
  if (const char* e = std::getenv(env_name(key).c_str())) {
    v = e;
  } else if (auto it = file_.find(key); it != file_.end()) {
    v = mq::get_string(file_, key, fallback);
  }
  std::lock_guard lk(mu_);
  used_[key] = v;
  return v;
}

mq::result<int64_t> service_config::get_int(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const {
  std::string text = get(key, std::to_string(fallback));
  mq::properties_map one{{key, text}};
  auto v = mq::get_int64(one, key, fallback);
  if (!v) return v.error();
  if (*v < lo || *v > hi)
    return mq::status::error(mq::errc::invalid_argument, key + ": " + std::to_string(*v) + " is outside [" +
                                                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return *v;
}

bool service_config::get_bool(const std::string& key, bool fallback) const {
  std::string text = get(key, fallback ? "true" : "false");
  mq::properties_map one{{key, text}};
  return mq::get_bool(one, key, fallback);
}

std::string service_config::mask(const std::string& key, const std::string& value) {
  std::string lower;
  for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("password") != std::string::npos || lower.find("secret") != std::string::npos ||
      lower.find("token") != std::string::npos)
    return value.empty() ? "" : "****";
  // scheme://user:password@host -> scheme://user:****@host
  auto scheme = value.find("://");
  if (scheme == std::string::npos) return value;
  auto at = value.find('@', scheme + 3);
  if (at == std::string::npos) return value;
  auto colon = value.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return value;
  return value.substr(0, colon + 1) + "****" + value.substr(at);
}

std::string service_config::dump_masked() const {
  std::map<std::string, std::string> all;
  for (auto& [k, v] : file_) all[k] = v;
  {
    std::lock_guard lk(mu_);
    for (auto& [k, v] : used_) all[k] = v;
  }
  std::string out;
  for (auto& [k, v] : all) out += k + "=" + mask(k, v) + "\n";
  return out;
}

}  // namespace shop
