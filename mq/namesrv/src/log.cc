#include "log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace mq::namesrv {

std::shared_ptr<spdlog::logger> log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto existing = spdlog::get("namesrv");
    return existing ? existing : spdlog::stderr_color_mt("namesrv");
  }();
  return logger;
}

}  // namespace mq::namesrv
