#include "consumer_core.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "log.h"
#include "mq/common/compression.h"
#include "mq/common/message_const.h"
#include "mq/common/message_record.h"
#include "mq/common/tag_hash.h"
#include "mq/remoting/json.h"

namespace mq::client {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;

namespace {
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

const char* to_string(message_model m) { return m == message_model::CLUSTERING ? "CLUSTERING" : "BROADCASTING"; }

const char* to_string(consume_from_where w) {
  switch (w) {
    case consume_from_where::CONSUME_FROM_LAST_OFFSET: return "CONSUME_FROM_LAST_OFFSET";
    case consume_from_where::CONSUME_FROM_FIRST_OFFSET: return "CONSUME_FROM_FIRST_OFFSET";
    case consume_from_where::CONSUME_FROM_TIMESTAMP: return "CONSUME_FROM_TIMESTAMP";
  }
  return "?";
}

result<subscription> make_tag_subscription(const std::string& topic, const std::string& expr) {
  if (topic.empty()) return status::error(errc::invalid_argument, "subscription topic is empty");
  subscription s;
  s.topic = topic;
  s.version = now_ms();
  std::string_view rest = expr;
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  if (trim(rest).empty() || trim(rest) == "*") return s;
  s.expression = expr;
  while (true) {
    auto bar = rest.find("||");
    auto tag = trim(rest.substr(0, bar));
    if (!tag.empty()) {
      if (tag.find_first_of("()=<>'") != std::string_view::npos)
        return status::error(errc::invalid_argument,
                             "'" + expr + "' is not a tag expression (use subscribe_sql for SQL92)");
      if (s.tags.emplace(tag).second) s.codes.push_back(java_string_hash(tag));
    }
    if (bar == std::string_view::npos) break;
    rest = rest.substr(bar + 2);
  }
  if (s.tags.empty()) s.expression = "*";
  return s;
}

subscription make_sql_subscription(const std::string& topic, const std::string& sql) {
  subscription s;
  s.topic = topic;
  s.expression = sql;
  s.type = "SQL92";
  s.version = now_ms();
  return s;
}

bool tag_matches(const subscription& s, const message_ext& m) {
  if (s.type != "TAG" || s.tags.empty()) return true;
  return s.tags.contains(m.tags());
}

nlohmann::json subscription_json(const subscription& s) {
  return {{"classFilterMode", false}, {"codeSet", s.codes}, {"expressionType", s.type},
          {"subString", s.expression}, {"subVersion", s.version}, {"tagsSet", s.tags},
          {"topic", s.topic}};
}

nlohmann::json consumer_heartbeat(const std::string& group, bool push, message_model model, consume_from_where from,
                                  const std::vector<subscription>& subs) {
  nlohmann::json set = nlohmann::json::array();
  for (auto& s : subs) set.push_back(subscription_json(s));
  nlohmann::json data = {{"consumeFromWhere", to_string(from)},
                         {"consumeType", push ? "CONSUME_PASSIVELY" : "CONSUME_ACTIVELY"},
                         {"groupName", group},
                         {"messageModel", to_string(model)},
                         {"subscriptionDataSet", set},
                         {"unitMode", false}};
  return {{"consumerDataSet", nlohmann::json::array({data})}, {"producerDataSet", nlohmann::json::array()}};
}

result<std::vector<std::string>> consumer_ids(client_instance& inst, const std::string& group,
                                              const std::string& topic) {
  auto route = inst.route(topic);
  if (!route) return route.error();
  status last = status::error(errc::not_found, "no broker serves " + topic);
  for (auto& b : route->brokers) {
    auto addr = b.any_addr();
    if (addr.empty()) continue;
    auto r = remoting_command::request(req::GET_CONSUMER_LIST_BY_GROUP);
    r.set("consumerGroup", group);
    auto resp = inst.call(addr, std::move(r), inst.options().request_timeout);
    if (!resp) {
      last = resp.error();
      continue;
    }
    if (resp->code != rc::SUCCESS) {
      last = response_error(*resp, "consumer list of " + group);
      continue;
    }
    auto j = remoting::parse_lenient(resp->body);
    if (!j || !j->contains("consumerIdList") || !(*j)["consumerIdList"].is_array())
      return status::error(errc::corrupt, "malformed consumer list from " + addr);
    std::vector<std::string> ids;
    for (auto& v : (*j)["consumerIdList"])
      if (v.is_string()) ids.push_back(v.get<std::string>());
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  return last;
}

remoting_command make_pull_request(const std::string& group, const message_queue& q, int64_t offset, int max_nums,
                                   int64_t commit_offset, std::chrono::milliseconds suspend, const subscription& sub) {
  int32_t flag = pull_flag::subscription;
  if (suspend.count() > 0) flag |= pull_flag::suspend;
  if (commit_offset > 0) flag |= pull_flag::commit_offset;
  auto r = remoting_command::request(req::PULL_MESSAGE);
  r.set("consumerGroup", group);
  r.set("topic", q.topic);
  r.set("queueId", int64_t{q.queue_id});
  r.set("queueOffset", offset);
  r.set("maxMsgNums", int64_t{max_nums});
  r.set("sysFlag", int64_t{flag});
  r.set("commitOffset", commit_offset > 0 ? commit_offset : 0);
  r.set("suspendTimeoutMillis", int64_t{suspend.count()});
  r.set("subscription", sub.expression);
  r.set("subVersion", sub.version);
  r.set("expressionType", sub.type);
  r.language = remoting::language_code::CPP;
  return r;
}

pull_outcome parse_pull_response(const remoting_command& resp, const subscription& sub, const std::string& group) {
  pull_outcome out;
  out.code = resp.code;
  out.next_begin_offset = resp.field_int("nextBeginOffset").value_or(-1);
  out.min_offset = resp.field_int("minOffset").value_or(0);
  out.max_offset = resp.field_int("maxOffset").value_or(0);
  if (resp.code != rc::SUCCESS) {
    if (resp.remark) out.error = *resp.remark;
    return out;
  }
  auto decoded = decode_records(resp.body, false);
  if (!decoded) {
    out.code = rc::SYSTEM_ERROR;
    out.error = "malformed pull body: " + decoded.error().message;
    return out;
  }
  const std::string retry_topic = std::string(retry_group_topic_prefix) + group;
  for (auto& m : *decoded) {
    if (m.sys_flag & sys_flag::compressed) {
      auto body = zlib_uncompress(m.body, 64 * 1024 * 1024);
      if (!body) {
        log()->warn("message {} of {}: undecompressable body, skipped", m.msg_id, m.topic);
        continue;
      }
      m.body = std::move(*body);
      m.sys_flag &= ~sys_flag::compressed;
    }
    if (!tag_matches(sub, m)) continue;
    if (m.topic == retry_topic) {
      if (auto* real = m.property(property_retry_topic)) m.topic = *real;
    }
    m.put_property(std::string(property_min_offset), std::to_string(out.min_offset));
    m.put_property(std::string(property_max_offset), std::to_string(out.max_offset));
    out.msgs.push_back(std::move(m));
  }
  return out;
}

result<int64_t> compute_start_offset(client_instance& inst, offset_store& store, const message_queue& q,
                                     consume_from_where from, int64_t consume_timestamp) {
  int64_t last = store.read(q, true);
  if (last >= 0) return last;
  if (last < -1) return status::error(errc::io_error, "cannot read the stored offset of " + q.to_string());
  bool retry = q.topic.starts_with(retry_group_topic_prefix);
  switch (from) {
    case consume_from_where::CONSUME_FROM_LAST_OFFSET:
      if (retry) return int64_t{0};
      return max_offset(inst, q);
    case consume_from_where::CONSUME_FROM_FIRST_OFFSET:
      return int64_t{0};
    case consume_from_where::CONSUME_FROM_TIMESTAMP:
      if (retry) return max_offset(inst, q);
      return search_offset(inst, q, consume_timestamp > 0 ? consume_timestamp : now_ms() - 30 * 60 * 1000);
  }
  return int64_t{0};
}

status send_back(client_instance& inst, const std::string& group, const std::string& broker_name,
                 const message_ext& m, int delay_level, int max_reconsume_times) {
  auto addr = inst.master_addr(broker_name);
  if (addr.empty()) return status::error(errc::not_found, "no master for " + broker_name);
  auto r = remoting_command::request(req::CONSUMER_SEND_MSG_BACK);
  r.set("offset", m.commit_log_offset);
  r.set("group", group);
  r.set("delayLevel", int64_t{delay_level});
  auto* origin = m.property(property_origin_message_id);
  r.set("originMsgId", origin ? *origin : m.msg_id);
  r.set("originTopic", m.topic);
  r.set("unitMode", "false");
  r.set("maxReconsumeTimes", int64_t{max_reconsume_times});
  auto resp = inst.call(addr, std::move(r), inst.options().request_timeout);
  if (!resp) return resp.error();
  if (resp->code != rc::SUCCESS) return response_error(*resp, "send back of " + m.msg_id);
  return status::success();
}

}  // namespace mq::client
