#include "log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace mq::remoting {

std::shared_ptr<spdlog::logger> log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto existing = spdlog::get("remoting");
    if (existing) return existing;
    auto l = spdlog::stderr_color_mt("remoting");
    return l;
  }();
  return logger;
}

}  // namespace mq::remoting
