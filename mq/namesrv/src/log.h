// The module's named spdlog logger ("namesrv").
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace mq::namesrv {
std::shared_ptr<spdlog::logger> log();
}  // namespace mq::namesrv
