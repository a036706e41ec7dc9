// Pieces the push and pull consumers share: subscriptions and their
// heartbeat JSON (rocketmq-protocol.md §3.3), PULL_MESSAGE requests and
// results (§2.1, §6.3), the start offset of a new queue (§6.4), the group's
// client list, and sending a failed message back (§6.5).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "client_instance.h"
#include "mq/client/push_consumer.h"
#include "offset_store.h"

namespace mq::client {

struct subscription {
  std::string topic;
  std::string expression = "*";  // "*", "a || b", or SQL92 text
  std::string type = "TAG";      // TAG | SQL92
  std::set<std::string> tags;    // empty = all (TAG only)
  std::vector<int32_t> codes;    // hash of each tag, in tags order
  int64_t version = 0;           // ms when built
};

// Parses a tag expression ("*", "", "a || b"). Errors: invalid_argument.
result<subscription> make_tag_subscription(const std::string& topic, const std::string& expr);
subscription make_sql_subscription(const std::string& topic, const std::string& sql);
// Client-side tag check after the broker's hash filter (Java
// PullAPIWrapper.processPullResult).
bool tag_matches(const subscription& s, const message_ext& m);

nlohmann::json subscription_json(const subscription& s);
nlohmann::json consumer_heartbeat(const std::string& group, bool push, message_model model, consume_from_where from,
                                  const std::vector<subscription>& subs);

// GET_CONSUMER_LIST_BY_GROUP from a broker serving `topic`, sorted.
result<std::vector<std::string>> consumer_ids(client_instance& inst, const std::string& group,
                                              const std::string& topic);

// PULL_MESSAGE sysFlag bits (C/sysflag/PullSysFlag.java).
namespace pull_flag {
inline constexpr int32_t commit_offset = 0x1;
inline constexpr int32_t suspend = 0x2;
inline constexpr int32_t subscription = 0x4;
inline constexpr int32_t class_filter = 0x8;
}  // namespace pull_flag

remoting_command make_pull_request(const std::string& group, const message_queue& q, int64_t offset, int max_nums,
                                   int64_t commit_offset, std::chrono::milliseconds suspend, const subscription& sub);

struct pull_outcome {
  int32_t code = 0;  // SUCCESS, PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY, PULL_OFFSET_MOVED, or another
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  std::vector<message_ext> msgs;  // filtered by tag, bodies decompressed, retry topics restored
  std::string error;              // for other codes or bad bodies
};
// Decodes a PULL_MESSAGE response. `group` restores %RETRY%<group>
// messages to their RETRY_TOPIC.
pull_outcome parse_pull_response(const remoting_command& resp, const subscription& sub, const std::string& group);

// Where a newly assigned queue starts: the stored offset, else by
// `from` (§6.4). Errors when the broker cannot be asked.
result<int64_t> compute_start_offset(client_instance& inst, offset_store& store, const message_queue& q,
                                     consume_from_where from, int64_t consume_timestamp);

// CONSUMER_SEND_MSG_BACK to the master of `broker_name`.
status send_back(client_instance& inst, const std::string& group, const std::string& broker_name,
                 const message_ext& m, int delay_level, int max_reconsume_times);

inline int effective_max_reconsume(int v) { return v < 0 ? 16 : v; }

}  // namespace mq::client
