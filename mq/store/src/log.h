// The module's named spdlog logger ("store").
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace mq::store {
std::shared_ptr<spdlog::logger> log();
}  // namespace mq::store
