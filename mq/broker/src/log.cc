#include "log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace mq::broker {

std::shared_ptr<spdlog::logger> log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto existing = spdlog::get("broker");
    return existing ? existing : spdlog::stderr_color_mt("broker");
  }();
  return logger;
}

}  // namespace mq::broker
