#include "json_file.h"

#include "log.h"
#include "mq/common/config_file.h"
#include "mq/remoting/json.h"

namespace mq::broker {

std::optional<nlohmann::json> load_json_file(const std::string& path) {
  if (path.empty()) return std::nullopt;
  auto text = read_config_file(path, [](const std::string& s) { return remoting::parse_lenient(s).has_value(); });
  if (!text) return std::nullopt;
  return remoting::parse_lenient(*text);
}

bool persist_json_file(const std::string& path, const nlohmann::json& j) {
  if (path.empty()) return true;
  std::string err;
  if (!write_file_atomic(path, j.dump(1, '\t'), &err)) {
    log()->error("cannot persist {}: {}", path, err);
    return false;
  }
  return true;
}

}  // namespace mq::broker
