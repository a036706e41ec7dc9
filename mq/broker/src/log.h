// The module's named spdlog logger ("broker").
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace mq::broker {
std::shared_ptr<spdlog::logger> log();
}  // namespace mq::broker
