// The module's named spdlog logger ("client").
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace mq::client {
std::shared_ptr<spdlog::logger> log();
}  // namespace mq::client
