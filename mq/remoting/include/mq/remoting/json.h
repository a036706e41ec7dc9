// JSON bodies as fastjson writes and reads them (rocketmq-protocol.md §3.0).
//
// fastjson writes maps with non-string keys unquoted: {0:"10.0.0.5:10911"} for
// brokerAddrs, and object keys for Map<MessageQueue,X>:
// {{"brokerName":"b","queueId":0,"topic":"t"}:{...}}. Standard parsers reject
// both. parse_lenient() first rewrites such keys into JSON strings (an integer
// key 0 becomes "0"; an object key becomes its compact text as a string), then
// parses with nlohmann::json. Everything we write is standard JSON: quoted
// keys, compact, object keys sorted (nlohmann's std::map ordering), which every
// client in §3.0 accepts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mq::remoting {

// Rewrite unquoted/numeric/object keys into quoted string keys. Returns
// std::nullopt when the text is structurally broken (unbalanced, unterminated
// string). Input nesting deeper than `max_depth` is rejected.
std::optional<std::string> normalize_fastjson(std::string_view text, size_t max_depth = 64);

// normalize_fastjson + nlohmann parse; std::nullopt on any error (no throw).
std::optional<nlohmann::json> parse_lenient(std::string_view text);

// Compact standard JSON (the form we send).
std::string to_json(const nlohmann::json& j);

}  // namespace mq::remoting
