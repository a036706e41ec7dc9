// The module's named spdlog logger ("remoting").
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace mq::remoting {
std::shared_ptr<spdlog::logger> log();
}  // namespace mq::remoting
