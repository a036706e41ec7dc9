// The broker's config files (topics.json, subscriptionGroup.json,
// consumerOffset.json): read with fastjson's quirks accepted and the .bak
// fallback, written atomically and pretty-printed with tabs
// (rocketmq-protocol.md §5.6, mq/common/config_file.h).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mq::broker {

// The parsed file (or its .bak when the file is missing or unparsable);
// std::nullopt when neither is usable (first start).
std::optional<nlohmann::json> load_json_file(const std::string& path);
// Atomic write; a failure is logged (the previous content stays).
bool persist_json_file(const std::string& path, const nlohmann::json& j);

}  // namespace mq::broker
