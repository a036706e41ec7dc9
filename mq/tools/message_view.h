// How mqadmin and mqconsole show a message: one JSON shape for both
// (docs/console.md lists the fields).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "mq/common/message.h"

namespace mq::tools {

// "2026-11-25T06:40:00.123Z"; "-" for 0 or less.
std::string iso_time(int64_t ms);
// topic, queueId, queueOffset, offsetMsgId, msgId (UNIQ_KEY), tags, keys,
// storeTime, storeTimestamp, bornTimestamp, reconsumeTimes, properties,
// body (the text, null when binary), bodyHex, bodySize.
nlohmann::json message_json(const message_ext& m);
// True for a body that prints as text (UTF-8 bytes, tabs and newlines).
bool printable(const std::string& body);

}  // namespace mq::tools
