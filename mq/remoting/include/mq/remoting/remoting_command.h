// RemotingCommand: the unit of RocketMQ's remoting protocol, and its codecs.
//
// Wire format (docs/format/remoting.md, rocketmq-protocol.md §1):
//   int32 length = 4 + headerLength + bodyLength
//   int32 (serializeType << 24) | headerLength
//   header (JSON = type 0, or ROCKETMQ binary = type 1)
//   body
// All integers big-endian. The codec is sans-io: pure functions over bytes,
// thread-safe, no allocation proportional to an untrusted length field before
// that length has been checked against the configured maximum.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mq::remoting {

enum class serialize_type : uint8_t { json = 0, rocketmq = 1 };

// LanguageCode (R/protocol/LanguageCode.java); the name travels in JSON, the
// ordinal in the ROCKETMQ binary header.
enum class language_code : uint8_t {
  JAVA = 0, CPP = 1, DOTNET = 2, PYTHON = 3, DELPHI = 4, ERLANG = 5, RUBY = 6,
  OTHER = 7, HTTP = 8, GO = 9, PHP = 10, OMS = 11, RUST = 12,
};
std::string_view language_name(language_code l);
// Unknown names map to OTHER (never rejected, §1.3).
language_code language_from_name(std::string_view name);

// Flag bits of RemotingCommand.flag.
inline constexpr int32_t flag_response = 1;
inline constexpr int32_t flag_oneway = 2;

// MQVersion ordinal of V4_9_8; what we put in every command we originate.
inline constexpr int32_t current_version = 409;

// Request codes (CP/RequestCode.java, 4.9.8). Names as RocketMQ spells them.
namespace request_code {
inline constexpr int32_t SEND_MESSAGE = 10;
inline constexpr int32_t PULL_MESSAGE = 11;
inline constexpr int32_t QUERY_MESSAGE = 12;
inline constexpr int32_t QUERY_BROKER_OFFSET = 13;
inline constexpr int32_t QUERY_CONSUMER_OFFSET = 14;
inline constexpr int32_t UPDATE_CONSUMER_OFFSET = 15;
inline constexpr int32_t UPDATE_AND_CREATE_TOPIC = 17;
inline constexpr int32_t GET_ALL_TOPIC_CONFIG = 21;
inline constexpr int32_t GET_TOPIC_CONFIG_LIST = 22;
inline constexpr int32_t GET_TOPIC_NAME_LIST = 23;
inline constexpr int32_t UPDATE_BROKER_CONFIG = 25;
inline constexpr int32_t GET_BROKER_CONFIG = 26;
inline constexpr int32_t TRIGGER_DELETE_FILES = 27;
inline constexpr int32_t GET_BROKER_RUNTIME_INFO = 28;
inline constexpr int32_t SEARCH_OFFSET_BY_TIMESTAMP = 29;
inline constexpr int32_t GET_MAX_OFFSET = 30;
inline constexpr int32_t GET_MIN_OFFSET = 31;
inline constexpr int32_t GET_EARLIEST_MSG_STORETIME = 32;
inline constexpr int32_t VIEW_MESSAGE_BY_ID = 33;
inline constexpr int32_t HEART_BEAT = 34;
inline constexpr int32_t UNREGISTER_CLIENT = 35;
inline constexpr int32_t CONSUMER_SEND_MSG_BACK = 36;
inline constexpr int32_t END_TRANSACTION = 37;
inline constexpr int32_t GET_CONSUMER_LIST_BY_GROUP = 38;
inline constexpr int32_t CHECK_TRANSACTION_STATE = 39;
inline constexpr int32_t NOTIFY_CONSUMER_IDS_CHANGED = 40;
inline constexpr int32_t LOCK_BATCH_MQ = 41;
inline constexpr int32_t UNLOCK_BATCH_MQ = 42;
inline constexpr int32_t GET_ALL_CONSUMER_OFFSET = 43;
inline constexpr int32_t GET_ALL_DELAY_OFFSET = 45;
inline constexpr int32_t CHECK_CLIENT_CONFIG = 46;
inline constexpr int32_t PUT_KV_CONFIG = 100;
inline constexpr int32_t GET_KV_CONFIG = 101;
inline constexpr int32_t DELETE_KV_CONFIG = 102;
inline constexpr int32_t REGISTER_BROKER = 103;
inline constexpr int32_t UNREGISTER_BROKER = 104;
inline constexpr int32_t GET_ROUTEINFO_BY_TOPIC = 105;
inline constexpr int32_t GET_BROKER_CLUSTER_INFO = 106;
inline constexpr int32_t UPDATE_AND_CREATE_SUBSCRIPTIONGROUP = 200;
inline constexpr int32_t GET_ALL_SUBSCRIPTIONGROUP_CONFIG = 201;
inline constexpr int32_t GET_TOPIC_STATS_INFO = 202;
inline constexpr int32_t GET_CONSUMER_CONNECTION_LIST = 203;
inline constexpr int32_t GET_PRODUCER_CONNECTION_LIST = 204;
inline constexpr int32_t WIPE_WRITE_PERM_OF_BROKER = 205;
inline constexpr int32_t GET_ALL_TOPIC_LIST_FROM_NAMESERVER = 206;
inline constexpr int32_t DELETE_SUBSCRIPTIONGROUP = 207;
inline constexpr int32_t GET_CONSUME_STATS = 208;
inline constexpr int32_t DELETE_TOPIC_IN_BROKER = 215;
inline constexpr int32_t DELETE_TOPIC_IN_NAMESRV = 216;
inline constexpr int32_t GET_KVLIST_BY_NAMESPACE = 219;
inline constexpr int32_t RESET_CONSUMER_CLIENT_OFFSET = 220;
inline constexpr int32_t GET_CONSUMER_STATUS_FROM_CLIENT = 221;
inline constexpr int32_t INVOKE_BROKER_TO_RESET_OFFSET = 222;
inline constexpr int32_t INVOKE_BROKER_TO_GET_CONSUMER_STATUS = 223;
inline constexpr int32_t GET_TOPICS_BY_CLUSTER = 224;
inline constexpr int32_t QUERY_TOPIC_CONSUME_BY_WHO = 300;
inline constexpr int32_t QUERY_CONSUME_TIME_SPAN = 303;
inline constexpr int32_t GET_SYSTEM_TOPIC_LIST_FROM_NS = 304;
inline constexpr int32_t GET_SYSTEM_TOPIC_LIST_FROM_BROKER = 305;
inline constexpr int32_t CLEAN_EXPIRED_CONSUMEQUEUE = 306;
inline constexpr int32_t GET_CONSUMER_RUNNING_INFO = 307;
inline constexpr int32_t QUERY_CORRECTION_OFFSET = 308;
inline constexpr int32_t CONSUME_MESSAGE_DIRECTLY = 309;
inline constexpr int32_t SEND_MESSAGE_V2 = 310;
inline constexpr int32_t CLONE_GROUP_OFFSET = 314;
inline constexpr int32_t VIEW_BROKER_STATS_DATA = 315;
inline constexpr int32_t CLEAN_UNUSED_TOPIC = 316;
inline constexpr int32_t GET_BROKER_CONSUME_STATS = 317;
inline constexpr int32_t UPDATE_NAMESRV_CONFIG = 318;
inline constexpr int32_t GET_NAMESRV_CONFIG = 319;
inline constexpr int32_t SEND_BATCH_MESSAGE = 320;
inline constexpr int32_t QUERY_CONSUME_QUEUE = 321;
inline constexpr int32_t QUERY_DATA_VERSION = 322;
inline constexpr int32_t RESUME_CHECK_HALF_MESSAGE = 323;
// Ours, not RocketMQ's (upstream has no way to list half messages): the
// pending and discarded half messages of a broker (docs/format/broker.md).
inline constexpr int32_t LIST_HALF_MESSAGES = 64001;
inline constexpr int32_t ADD_WRITE_PERM_OF_BROKER = 327;
inline constexpr int32_t DELETE_EXPIRED_COMMITLOG = 329;
}  // namespace request_code

// Response codes (R/protocol/RemotingSysResponseCode.java, CP/ResponseCode.java).
namespace response_code {
inline constexpr int32_t SUCCESS = 0;
inline constexpr int32_t SYSTEM_ERROR = 1;
inline constexpr int32_t SYSTEM_BUSY = 2;
inline constexpr int32_t REQUEST_CODE_NOT_SUPPORTED = 3;
inline constexpr int32_t TRANSACTION_FAILED = 4;
inline constexpr int32_t FLUSH_DISK_TIMEOUT = 10;
inline constexpr int32_t SLAVE_NOT_AVAILABLE = 11;
inline constexpr int32_t FLUSH_SLAVE_TIMEOUT = 12;
inline constexpr int32_t MESSAGE_ILLEGAL = 13;
inline constexpr int32_t SERVICE_NOT_AVAILABLE = 14;
inline constexpr int32_t VERSION_NOT_SUPPORTED = 15;
inline constexpr int32_t NO_PERMISSION = 16;
inline constexpr int32_t TOPIC_NOT_EXIST = 17;
inline constexpr int32_t TOPIC_EXIST_ALREADY = 18;
inline constexpr int32_t PULL_NOT_FOUND = 19;
inline constexpr int32_t PULL_RETRY_IMMEDIATELY = 20;
inline constexpr int32_t PULL_OFFSET_MOVED = 21;
inline constexpr int32_t QUERY_NOT_FOUND = 22;
inline constexpr int32_t SUBSCRIPTION_PARSE_FAILED = 23;
inline constexpr int32_t SUBSCRIPTION_NOT_EXIST = 24;
inline constexpr int32_t SUBSCRIPTION_NOT_LATEST = 25;
inline constexpr int32_t SUBSCRIPTION_GROUP_NOT_EXIST = 26;
inline constexpr int32_t FILTER_DATA_NOT_EXIST = 27;
inline constexpr int32_t FILTER_DATA_NOT_LATEST = 28;
inline constexpr int32_t TRANSACTION_SHOULD_COMMIT = 200;
inline constexpr int32_t TRANSACTION_SHOULD_ROLLBACK = 201;
inline constexpr int32_t TRANSACTION_STATE_UNKNOW = 202;
inline constexpr int32_t TRANSACTION_STATE_GROUP_WRONG = 203;
inline constexpr int32_t NO_BUYER_ID = 204;
inline constexpr int32_t NOT_IN_CURRENT_UNIT = 205;
inline constexpr int32_t CONSUMER_NOT_ONLINE = 206;
inline constexpr int32_t CONSUME_MSG_TIMEOUT = 207;
inline constexpr int32_t NO_MESSAGE = 208;
inline constexpr int32_t FLOW_CONTROL = 215;
}  // namespace response_code

// One request, response or oneway command. `ext_fields` is the flat
// string->string "custom header"; the body never travels in the header.
struct remoting_command {
  int32_t code = 0;
  language_code language = language_code::JAVA;
  int32_t version = current_version;
  int32_t opaque = 0;
  int32_t flag = 0;
  std::optional<std::string> remark;
  std::map<std::string, std::string> ext_fields;
  std::string body;
  // The header encoding this command arrived in / will be sent in.
  serialize_type type = serialize_type::json;

  bool is_response() const { return (flag & flag_response) != 0; }
  bool is_oneway() const { return (flag & flag_oneway) != 0; }

  // Convenience accessors for ext_fields.
  const std::string* field(const std::string& key) const;
  std::optional<int64_t> field_int(const std::string& key) const;
  void set(std::string key, std::string value) { ext_fields[std::move(key)] = std::move(value); }
  void set(std::string key, int64_t value) { ext_fields[std::move(key)] = std::to_string(value); }

  // A request with a fresh opaque left to the caller (0).
  static remoting_command request(int32_t code);
  // A response to `req`: same opaque and serialize type, RESPONSE flag set.
  static remoting_command response_to(const remoting_command& req, int32_t code,
                                      std::optional<std::string> remark = std::nullopt);
};

// ---- header codecs -------------------------------------------------------

// fastjson-compatible JSON header: quoted field names sorted alphabetically,
// null fields omitted, extFields values always JSON strings, control chars
// escaped as \u00XX. Includes "serializeTypeCurrentRPC":"JSON".
std::string encode_json_header(const remoting_command& cmd);
// Lenient decode (§1.3): extFields values may be numbers/booleans (turned into
// text) or null (absent); unknown fields ignored; unknown language -> OTHER.
// Returns false (and leaves an error in *err) if the header is not a JSON
// object or `code` is missing or not an integer.
bool decode_json_header(std::string_view header, remoting_command& out, std::string* err);

// ROCKETMQ binary header (§1.4). Decoding is bounds-checked at every step.
std::string encode_rocketmq_header(const remoting_command& cmd);
bool decode_rocketmq_header(std::string_view header, remoting_command& out, std::string* err);

}  // namespace mq::remoting
