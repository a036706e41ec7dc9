#include "log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace mq::client {

std::shared_ptr<spdlog::logger> log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto existing = spdlog::get("client");
    return existing ? existing : spdlog::stderr_color_mt("client");
  }();
  return logger;
}

}  // namespace mq::client
