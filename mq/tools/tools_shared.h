// What mqadmin and mqconsole share: how a message is shown (one JSON shape
// for both; docs/console.md lists the fields) and a walk over the brokers.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "mq/client/admin.h"
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
// A route as mqadmin topicRoute --json prints it: queueDatas and
// brokerDatas (one row per broker address); orderTopicConf when set.
nlohmann::json route_json(const client::topic_route& r);
// Calls fn(cluster, broker name, broker id, address) for every broker
// address of every cluster, in cluster and name order.
void each_broker(const client::cluster_info& ci,
                 const std::function<void(const std::string&, const std::string&, int64_t, const std::string&)>& fn);

}  // namespace mq::tools
