#include "log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace mq::store {

std::shared_ptr<spdlog::logger> log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto existing = spdlog::get("store");
    return existing ? existing : spdlog::stderr_color_mt("store");
  }();
  return logger;
}

}  // namespace mq::store
