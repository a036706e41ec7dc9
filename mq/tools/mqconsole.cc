// mqconsole: the broker's web console without a JVM (issue #8). A JSON API
// over the admin client plus the static single-page UI of mq/console/ui.
//
//   mqconsole -n NAMESRV [--listen 127.0.0.1:8089] [--token T] [--ui DIR] [--sample-seconds 5]
//
// Read-only unless an admin token is configured (--token or MQCONSOLE_TOKEN);
// then a write (POST) must carry it in X-Admin-Token. Binds 127.0.0.1 unless
// told otherwise. A sampler thread records msgs/s in and out per broker and
// per topic for the throughput charts (the last 10 minutes).
// API and behaviour: docs/console.md.
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tools_shared.h"
#include "mq/client/admin.h"
#include "mq/common/message_const.h"
#include "mq/http/server.h"

#ifndef MQ_CONSOLE_UI_DIR
#define MQ_CONSOLE_UI_DIR "mq/console/ui"
#endif

namespace {

using nlohmann::json;
using mq::client::admin_client;
namespace http = mq::http;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// An API failure with its HTTP status.
struct api_error {
  int status;
  std::string message;
};

http::response ok(const json& j) { return http::response::json(200, dump(j)); }

template <class T>
T need(mq::result<T> r, const std::string& what) {
  if (!r) {
    int code = r.error().code == mq::errc::not_found          ? 404
               : r.error().code == mq::errc::invalid_argument ? 400
                                                              : 502;
    throw api_error{code, what + ": " + r.error().message};
  }
  return std::move(*r);
}
void need(const mq::status& s, const std::string& what) {
  if (!s.ok()) throw api_error{s.code == mq::errc::not_found ? 404 : 502, what + ": " + s.message};
}

json body_of(const http::request& req) {
  auto j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw api_error{400, "the body must be a JSON object"};
  return j;
}

std::string str_field(const json& j, const char* k, bool required = true) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) {
    if (required) throw api_error{400, std::string("missing field ") + k};
    return "";
  }
  if (!it->is_string()) throw api_error{400, std::string(k) + " must be a string"};
  return it->get<std::string>();
}

int64_t int_field(const json& j, const char* k, int64_t fallback, int64_t lo, int64_t hi) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return fallback;
  int64_t v = 0;
  if (it->is_number_integer()) v = it->get<int64_t>();
  else if (it->is_string()) {
    char* end = nullptr;
    v = std::strtoll(it->get<std::string>().c_str(), &end, 10);
    if (it->get<std::string>().empty() || *end) throw api_error{400, std::string(k) + " must be a number"};
  } else {
    throw api_error{400, std::string(k) + " must be a number"};
  }
  if (v < lo || v > hi) throw api_error{400, std::string(k) + " must be in " + std::to_string(lo) + ".." + std::to_string(hi)};
  return v;
}

int64_t query_int(const http::request& req, const char* k, int64_t fallback) {
  auto it = req.query.find(k);
  if (it == req.query.end() || it->second.empty()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (*end) throw api_error{400, std::string(k) + " must be a number (ms since the epoch)"};
  return v;
}

double first_number(const std::map<std::string, std::string>& m, const char* k) {
  auto it = m.find(k);
  return it == m.end() ? 0.0 : std::atof(it->second.c_str());  // "1.00 1.00 1.00" -> 1.00
}

// Topics an operator did not create: the broker's own and the client libraries'.
bool system_topic(const std::string& t, const std::set<std::string>& cluster_and_broker_names) {
  static const std::set<std::string> fixed{"TBW102", "SCHEDULE_TOPIC_XXXX", "OFFSET_MOVED_EVENT", "SELF_TEST_TOPIC",
                                           "BenchmarkTest", "RMQ_SYS_TRACE_TOPIC"};
  return fixed.count(t) || t.starts_with("RMQ_SYS_") || t.starts_with("%RETRY%") || t.starts_with("%DLQ%") ||
         t.starts_with("rmq_sys_") || cluster_and_broker_names.count(t);
}

bool system_group(const std::string& g) {
  static const std::set<std::string> fixed{"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP",
                                           "CID_ONS-HTTP-PROXY", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER",
                                           "CID_ONSAPI_PULL", "CID_RMQ_SYS_TRANS", "SCHEDULE_CONSUMER"};
  return fixed.count(g) || g.starts_with("CID_RMQ_SYS_");
}

class console {
 public:
  console(admin_client& admin, std::string namesrv, std::string token, std::string ui_dir, int sample_seconds)
      : admin_(admin), namesrv_(std::move(namesrv)), token_(std::move(token)), ui_dir_(std::move(ui_dir)),
        sample_seconds_(sample_seconds) {}

  void routes(http::router& r) {
    for (auto [path, file, type] : {std::tuple{"/", "index.html", "text/html; charset=utf-8"},
                                    std::tuple{"/index.html", "index.html", "text/html; charset=utf-8"},
                                    std::tuple{"/app.js", "app.js", "text/javascript; charset=utf-8"},
                                    std::tuple{"/style.css", "style.css", "text/css; charset=utf-8"}}) {
      std::string f = file, t = type;
      r.add("GET", path, [this, f, t](http::request&) { return static_file(f, t); });
    }
    api(r, "GET", "/api/config", [this](http::request&) {
      return json{{"writable", !token_.empty()}, {"namesrv", namesrv_}};
    });
    api(r, "GET", "/api/cluster", [this](http::request&) { return cluster(); });
    api(r, "GET", "/api/topics", [this](http::request&) { return topics(); });
    api(r, "GET", "/api/topics/{topic}", [this](http::request& q) { return topic(*q.param("topic")); });
    api(r, "POST", "/api/topics", [this](http::request& q) { return create_topic(q); });
    api(r, "GET", "/api/groups", [this](http::request&) { return groups(); });
    api(r, "GET", "/api/groups/{group}", [this](http::request& q) { return group(*q.param("group")); });
    api(r, "POST", "/api/groups/{group}/resetOffset", [this](http::request& q) { return reset_offset(q); });
    api(r, "GET", "/api/messages", [this](http::request& q) { return messages(q); });
    api(r, "GET", "/api/message/{id}", [this](http::request& q) { return message(*q.param("id")); });
    api(r, "POST", "/api/dlq/resend", [this](http::request& q) { return resend(q); });
    api(r, "GET", "/api/throughput", [this](http::request&) { return throughput(); });
  }

  void start_sampler() {
    sampler_ = std::thread([this] {
      std::unique_lock lk(stop_mu_);
      while (!stopping_) {
        lk.unlock();
        try {
          sample();
        } catch (const std::exception& e) {
          spdlog::warn("mqconsole: sampling failed: {}", e.what());
        }
        lk.lock();
        stop_cv_.wait_for(lk, std::chrono::seconds(sample_seconds_), [&] { return stopping_; });
      }
    });
  }
  void stop() {
    {
      std::lock_guard lk(stop_mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    if (sampler_.joinable()) sampler_.join();
  }

 private:
  using api_fn = std::function<json(http::request&)>;

  void api(http::router& r, const char* method, const char* path, api_fn fn) {
    bool write = std::string(method) != "GET";
    r.add(method, path, [this, fn = std::move(fn), write, path](http::request& req) {
      try {
        if (write) authorize(req);
        return ok(fn(req));
      } catch (const api_error& e) {
        if (e.status >= 500) spdlog::warn("mqconsole: {} {}: {}", req.method, req.target, e.message);
        return http::response::json(e.status, dump(json{{"error", e.message}}));
      } catch (const std::exception& e) {
        spdlog::error("mqconsole: {} {}: {}", req.method, req.target, e.what());
        return http::response::json(500, dump(json{{"error", e.what()}}));
      }
    });
  }

  void authorize(const http::request& req) {
    if (token_.empty())
      throw api_error{403, "read-only console: start mqconsole with --token (or MQCONSOLE_TOKEN) to allow changes"};
    const std::string* given = req.header("X-Admin-Token");
    // Compare in constant time (the token's length is not a secret).
    bool same = given && given->size() == token_.size();
    unsigned diff = 0;
    if (same)
      for (size_t i = 0; i < token_.size(); ++i) diff |= static_cast<unsigned char>((*given)[i] ^ token_[i]);
    if (!same || diff != 0) throw api_error{401, "wrong or missing admin token (X-Admin-Token)"};
    spdlog::info("mqconsole: {} {} authorized from {}", req.method, req.target, req.remote);
  }

  http::response static_file(const std::string& name, const std::string& type) {
    std::ifstream in(ui_dir_ + "/" + name, std::ios::binary);
    if (!in) return http::response::text(500, "console UI file " + ui_dir_ + "/" + name + " is missing (--ui DIR)\n");
    std::stringstream ss;
    ss << in.rdbuf();
    http::response r{200, type, ss.str(), {{"Cache-Control", "no-cache"}}};
    return r;
  }

  std::set<std::string> cluster_and_broker_names(const mq::client::cluster_info& ci) {
    std::set<std::string> out;
    for (auto& [c, names] : ci.clusters) out.insert(c);
    for (auto& [b, d] : ci.brokers) out.insert(b);
    return out;
  }

  json cluster() {
    auto ci = need(admin_.cluster(), "cluster info");
    json rows = json::array();
    mq::tools::each_broker(ci, [&](const std::string& cluster, const std::string& n, int64_t id, const std::string& addr) {
      json row{{"cluster", cluster}, {"brokerName", n}, {"brokerId", id}, {"address", addr}};
      auto info = admin_.broker_runtime_info(addr);
      if (!info) {
        row["error"] = info.error().message;
      } else {
        auto get = [&](const char* k) { return info->count(k) ? info->at(k) : std::string(); };
        row["role"] = get("brokerRole").empty() ? (id == 0 ? "MASTER" : "SLAVE") : get("brokerRole");
        row["version"] = get("brokerVersionDesc");
        row["putTps"] = first_number(*info, "putTps");
        row["getTps"] = first_number(*info, "getTransferedTps");
        row["inTotalToday"] = get("msgPutTotalTodayNow");
        row["outTotalToday"] = get("msgGetTotalTodayNow");
        double disk = first_number(*info, "commitLogDiskRatio");  // -1: not measured yet
        row["diskRatio"] = disk >= 0 ? json(disk) : json(nullptr);
        row["commitLogMaxOffset"] = get("commitLogMaxOffset");
        row["runtime"] = get("runtime");
      }
      rows.push_back(row);
    });
    return {{"brokers", rows}};
  }

  json topics() {
    auto ci = need(admin_.cluster(), "cluster info");
    auto names = cluster_and_broker_names(ci);
    json out = json::array();
    for (auto& t : need(admin_.topic_list(), "topic list")) out.push_back({{"name", t}, {"system", system_topic(t, names)}});
    return {{"topics", out}};
  }

  json topic(const std::string& name) {
    json route = mq::tools::route_json(need(admin_.route(name), "route of " + name));
    route.erase("orderTopicConf");
    json queues = json::array();
    int64_t total = 0;
    for (auto& s : need(admin_.topic_stats(name), "queues of " + name)) {
      queues.push_back({{"brokerName", s.queue.broker_name}, {"queueId", s.queue.queue_id}, {"minOffset", s.min_offset},
                        {"maxOffset", s.max_offset}, {"messages", s.max_offset - s.min_offset},
                        {"lastUpdate", mq::tools::iso_time(s.last_update_timestamp)}});
      total += s.max_offset - s.min_offset;
    }
    return {{"name", name}, {"route", route}, {"queues", queues}, {"totalMessages", total}};
  }

  json create_topic(http::request& req) {
    auto j = body_of(req);
    mq::client::topic_config t;
    t.name = str_field(j, "name");
    std::string cluster = str_field(j, "cluster", false);
    if (cluster.empty()) cluster = "DefaultCluster";
    t.read_queue_nums = static_cast<int32_t>(int_field(j, "readQueueNums", 8, 1, 1024));
    t.write_queue_nums = static_cast<int32_t>(int_field(j, "writeQueueNums", 8, 1, 1024));
    t.perm = static_cast<int32_t>(int_field(j, "perm", 6, 0, 7));
    if (j.contains("order") && !j["order"].is_boolean()) throw api_error{400, "order must be true or false"};
    t.order = j.value("order", false);
    if (t.name.empty() || t.name.size() > 127 ||
        t.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-%|") != std::string::npos)
      throw api_error{400, "topic name must be 1..127 characters of [A-Za-z0-9_-%|]"};
    need(admin_.create_topic_in_cluster(cluster, t), "update topic " + t.name);
    spdlog::info("mqconsole: topic {} updated in cluster {} ({} / {} queues, perm {})", t.name, cluster,
                 t.read_queue_nums, t.write_queue_nums, t.perm);
    return {{"result", "updated"}, {"topic", t.name}};
  }

  // Every subscription group of every master, system groups left out.
  std::set<std::string> group_names() {
    auto ci = need(admin_.cluster(), "cluster info");
    std::set<std::string> out;
    for (auto& [name, b] : ci.brokers) {
      auto master = b.master_addr();
      if (master.empty()) continue;
      auto gs = admin_.subscription_groups(master);
      if (!gs) continue;
      for (auto& g : *gs)
        if (!system_group(g.group_name)) out.insert(g.group_name);
    }
    return out;
  }

  json groups() {
    json out = json::array();
    for (auto& g : group_names()) {
      json row{{"name", g}, {"members", 0}, {"totalLag", nullptr}, {"consumeTps", 0}};
      if (auto c = admin_.consumer_connections(g)) row["members"] = c->connections.size();
      if (auto p = admin_.consumer_progress(g); p && !p->rows.empty()) {
        row["totalLag"] = p->total_lag();
        row["consumeTps"] = p->consume_tps;
      }
      out.push_back(row);
    }
    return {{"groups", out}};
  }

  json group(const std::string& g) {
    json conns = json::array(), subs = json::object();
    std::string type, model;
    if (auto c = admin_.consumer_connections(g)) {
      for (auto& x : c->connections)
        conns.push_back({{"clientId", x.client_id}, {"clientAddr", x.client_addr}, {"language", x.language},
                         {"version", x.version}});
      for (auto& [t, e] : c->subscriptions) subs[t] = e;
      type = c->consume_type;
      model = c->message_model;
    }
    json rows = json::array();
    int64_t total = 0;
    auto p = admin_.consumer_progress(g);
    if (p) {
      for (auto& r : p->rows)
        rows.push_back({{"topic", r.queue.topic}, {"brokerName", r.queue.broker_name}, {"queueId", r.queue.queue_id},
                        {"brokerOffset", r.broker_offset}, {"consumerOffset", r.consumer_offset}, {"lag", r.lag()},
                        {"lastTime", mq::tools::iso_time(r.last_timestamp)}});
      total = p->total_lag();
    } else if (conns.empty()) {
      throw api_error{404, "no consumer group " + g + " (no offsets, no connected clients): " + p.error().message};
    }
    return {{"name", g}, {"connections", conns}, {"consumeType", type}, {"messageModel", model},
            {"subscriptions", subs}, {"queues", rows}, {"totalLag", total}};
  }

  json reset_offset(http::request& req) {
    auto j = body_of(req);
    std::string g = *req.param("group"), topic = str_field(j, "topic");
    int64_t ts = int_field(j, "timestamp", 0, 0, INT64_MAX);
    json rows = json::array();
    for (auto& [q, off] : need(admin_.reset_offset_by_time(g, topic, ts), "reset of " + g))
      rows.push_back({{"brokerName", q.broker_name}, {"queueId", q.queue_id}, {"offset", off}});
    spdlog::info("mqconsole: group {} offsets of {} reset to {}", g, topic, ts);
    return {{"offsets", rows}};
  }

  json messages(http::request& req) {
    auto arg = [&](const char* k) { return req.query.count(k) ? req.query.at(k) : std::string(); };
    std::string topic = arg("topic"), key = arg("key"), id = arg("msgId"), offset_id = arg("offsetMsgId");
    json out = json::array();
    if (!offset_id.empty()) {
      out.push_back(mq::tools::message_json(need(admin_.view_message(offset_id), "message " + offset_id)));
      return {{"messages", out}};
    }
    if (topic.empty()) throw api_error{400, "give topic (with key, msgId or begin/end) or offsetMsgId"};
    std::vector<mq::message_ext> found;
    auto not_found_is_empty = [](mq::result<std::vector<mq::message_ext>> r, const std::string& what) {
      if (!r && r.error().code == mq::errc::not_found) return std::vector<mq::message_ext>{};
      return need(std::move(r), what);
    };
    if (!key.empty()) {
      found = not_found_is_empty(admin_.query_message_by_key(topic, key, 64, 0, INT64_MAX), "query by key");
    } else if (!id.empty()) {
      found = not_found_is_empty(admin_.query_message_by_unique_key(topic, id), "query by msgId");
    } else {
      int64_t end = query_int(req, "end", now_ms());
      int64_t begin = query_int(req, "begin", end - 3600 * 1000);
      if (begin > end) throw api_error{400, "begin is after end"};
      found = need(admin_.query_messages_by_time(topic, begin, end, static_cast<int>(std::clamp<int64_t>(query_int(req, "max", 64), 1, 1000))),
                   "query by time");
    }
    for (auto& m : found) out.push_back(mq::tools::message_json(m));
    return {{"messages", out}};
  }

  // Where a message is: stored, consumed or pending for each group that
  // consumes its topic, and its copies in the groups' retry and DLQ topics.
  json message(const std::string& offset_id) {
    auto m = need(admin_.view_message(offset_id), "message " + offset_id);
    json trace = json::array();
    trace.push_back({{"stage", "stored"},
                     {"detail", m.topic + " queue " + std::to_string(m.queue_id) + " offset " +
                                    std::to_string(m.queue_offset) + " at " + mq::tools::iso_time(m.store_timestamp)}});
    std::string uniq = m.properties.count("UNIQ_KEY") ? m.properties.at("UNIQ_KEY") : "";
    if (m.topic.starts_with("%DLQ%")) {
      trace.push_back({{"stage", "dlq"}, {"detail", "dead letter of group " + m.topic.substr(5) + " after " +
                                                        std::to_string(m.reconsume_times) + " retries"}});
    }
    // The broker that stored it: the one whose address is the store host.
    std::string broker;
    if (auto ci = admin_.cluster())
      for (auto& [name, b] : ci->brokers)
        for (auto& [id, addr] : b.addrs)
          if (addr == m.store_host.to_string()) broker = name;
    auto topics = admin_.topic_list();
    std::set<std::string> known(topics ? topics->begin() : std::vector<std::string>::iterator{},
                                topics ? topics->end() : std::vector<std::string>::iterator{});
    for (auto& g : group_names()) {
      auto p = admin_.consumer_progress(g, m.topic);
      if (p)
        for (auto& r : p->rows)
          if (r.queue.broker_name == broker && r.queue.queue_id == m.queue_id)
            trace.push_back({{"stage", r.consumer_offset > m.queue_offset ? "consumed" : "pending"},
                             {"detail", (r.consumer_offset > m.queue_offset ? "consumed by " : "not yet consumed by ") +
                                            g + " (its offset " + std::to_string(r.consumer_offset) + ")"}});
      if (uniq.empty()) continue;
      for (auto [prefix, stage] : {std::pair{"%RETRY%", "retry"}, std::pair{"%DLQ%", "dlq"}}) {
        std::string t = prefix + g;
        if (!known.count(t) || t == m.topic) continue;
        if (auto copies = admin_.query_message_by_unique_key(t, uniq))
          for (auto& c : *copies)
            trace.push_back({{"stage", stage},
                             {"detail", std::string(stage) == "dlq"
                                            ? "dead letter in " + t + " (offsetMsgId " + c.msg_id + ", " +
                                                  std::to_string(c.reconsume_times) + " retries)"
                                            : "retry copy in " + t + " (reconsume " + std::to_string(c.reconsume_times) +
                                                  ", offsetMsgId " + c.msg_id + ")"},
                             {"offsetMsgId", c.msg_id}});
      }
    }
    return {{"message", mq::tools::message_json(m)}, {"trace", trace}};
  }

  json resend(http::request& req) {
    auto j = body_of(req);
    std::string g = str_field(j, "group"), id = str_field(j, "offsetMsgId", false);
    int n = need(admin_.resend_dlq(g, id, 0), "resend of %DLQ%" + g);
    spdlog::info("mqconsole: resent {} dead letter(s) of group {} (offsetMsgId {})", n, g, id.empty() ? "all" : id);
    return {{"resent", n}};
  }

  // ---- throughput samples
  struct series {
    std::deque<std::array<double, 3>> points;  // ts ms, in/s, out/s
    double last_in = -1, last_out = -1;
    int64_t last_ts = 0;
  };
  static constexpr size_t kMaxPoints = 120;

  static void add_point(series& s, int64_t ts, double in_total, double out_total) {
    if (s.last_ts > 0 && ts > s.last_ts && in_total >= s.last_in && out_total >= s.last_out) {
      double secs = static_cast<double>(ts - s.last_ts) / 1000.0;
      s.points.push_back({static_cast<double>(ts), (in_total - s.last_in) / secs, (out_total - s.last_out) / secs});
      if (s.points.size() > kMaxPoints) s.points.pop_front();
    }
    s.last_ts = ts;
    s.last_in = in_total;
    s.last_out = out_total;
  }

  void sample() {
    int64_t ts = now_ms();
    auto ci = admin_.cluster();
    if (!ci) return;
    std::map<std::string, std::pair<double, double>> brokers;
    for (auto& [name, b] : ci->brokers)
      for (auto& [id, addr] : b.addrs)
        if (auto info = admin_.broker_runtime_info(addr))
          brokers[name + (id == 0 ? "" : "#" + std::to_string(id))] = {first_number(*info, "msgPutTotalTodayNow"),
                                                                        first_number(*info, "msgGetTotalTodayNow")};
    // Topic in: messages stored (sum of max offsets); out: the sum over
    // groups of committed offsets of the topic's queues.
    std::map<std::string, std::pair<double, double>> topics;
    auto names = cluster_and_broker_names(*ci);
    if (auto list = admin_.topic_list()) {
      size_t n = 0;
      for (auto& t : *list) {
        if (system_topic(t, names) || ++n > 50) continue;
        if (auto st = admin_.topic_stats(t)) {
          double in = 0;
          for (auto& q : *st) in += static_cast<double>(q.max_offset);
          topics[t] = {in, 0};
        }
      }
    }
    for (auto& g : group_names())
      if (auto p = admin_.consumer_progress(g))
        for (auto& r : p->rows)
          if (auto it = topics.find(r.queue.topic); it != topics.end()) it->second.second += static_cast<double>(r.consumer_offset);
    std::lock_guard lk(samples_mu_);
    for (auto& [k, v] : brokers) add_point(broker_series_[k], ts, v.first, v.second);
    for (auto& [k, v] : topics) add_point(topic_series_[k], ts, v.first, v.second);
  }

  json throughput() {
    std::lock_guard lk(samples_mu_);
    auto render = [](const std::map<std::string, series>& m) {
      json out = json::object();
      for (auto& [k, s] : m) {
        json pts = json::array();
        for (auto& p : s.points) pts.push_back({static_cast<int64_t>(p[0]), p[1], p[2]});
        out[k] = pts;
      }
      return out;
    };
    return {{"intervalSeconds", sample_seconds_}, {"brokers", render(broker_series_)}, {"topics", render(topic_series_)}};
  }

  admin_client& admin_;
  std::string namesrv_, token_, ui_dir_;
  int sample_seconds_;
  std::mutex samples_mu_;
  std::map<std::string, series> broker_series_, topic_series_;  // GUARDED_BY(samples_mu_)
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // GUARDED_BY(stop_mu_)
  std::thread sampler_;
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: mqconsole -n NAMESRV [--listen HOST:PORT] [--token TOKEN] [--ui DIR] [--sample-seconds N]\n"
               "  -n NAMESRV          name server(s), host:port[;host:port] (or NAMESRV_ADDR)\n"
               "  --listen HOST:PORT  where to serve (default 127.0.0.1:8089)\n"
               "  --token TOKEN       admin token that allows changes (or MQCONSOLE_TOKEN); without it: read-only\n"
               "  --ui DIR            the UI files (default %s)\n"
               "  --sample-seconds N  throughput sampling interval (default 5)\n",
               MQ_CONSOLE_UI_DIR);
}

}  // namespace

int main(int argc, char** argv) {
  http::block_stop_signals();
  std::string namesrv = std::getenv("NAMESRV_ADDR") ? std::getenv("NAMESRV_ADDR") : "";
  std::string listen = "127.0.0.1:8089";
  std::string token = std::getenv("MQCONSOLE_TOKEN") ? std::getenv("MQCONSOLE_TOKEN") : "";
  std::string ui = MQ_CONSOLE_UI_DIR;
  int sample_seconds = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "mqconsole: unknown option or missing value: %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
    std::string v = argv[++i];
    if (a == "-n") namesrv = v;
    else if (a == "--listen") listen = v;
    else if (a == "--token") token = v;
    else if (a == "--ui") ui = v;
    else if (a == "--sample-seconds") {
      sample_seconds = std::atoi(v.c_str());
      if (sample_seconds < 1 || sample_seconds > 3600) {
        std::fprintf(stderr, "mqconsole: --sample-seconds must be 1..3600\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "mqconsole: unknown option %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  auto colon = listen.rfind(':');
  int port = colon == std::string::npos ? -1 : std::atoi(listen.c_str() + colon + 1);
  if (namesrv.empty() || port < 0 || port > 65535) {
    std::fprintf(stderr, "mqconsole: %s\n", namesrv.empty() ? "no name server: give -n host:port or set NAMESRV_ADDR"
                                                            : "--listen must be HOST:PORT");
    usage(stderr);
    return 2;
  }
  {
    std::ifstream probe(ui + "/index.html");
    if (!probe) {
      std::fprintf(stderr, "mqconsole: no index.html in %s (give --ui DIR)\n", ui.c_str());
      return 2;
    }
  }

  mq::client::client_options co;
  co.namesrv_addr = namesrv;
  co.request_timeout = std::chrono::milliseconds(3000);
  admin_client admin(co);
  if (auto st = admin.start(); !st.ok()) {
    std::fprintf(stderr, "mqconsole: cannot start the admin client: %s\n", st.message.c_str());
    return 1;
  }
  console c(admin, namesrv, token, ui, sample_seconds);
  http::router routes;
  c.routes(routes);
  http::server_options so;
  so.service = "mqconsole";
  so.bind_address = listen.substr(0, colon);
  so.port = static_cast<uint16_t>(port);
  so.worker_threads = 4;
  so.body_limit = 64 * 1024;
  http::server srv(so, std::move(routes));
  std::string err;
  if (!srv.start(&err)) {
    std::fprintf(stderr, "mqconsole: cannot listen on %s: %s\n", listen.c_str(), err.c_str());
    admin.shutdown();
    return 1;
  }
  c.start_sampler();
  std::printf("mqconsole on http://%s:%u/ (name server %s, %s)\n", so.bind_address.c_str(),
              static_cast<unsigned>(srv.port()), namesrv.c_str(), token.empty() ? "read-only" : "writes need the admin token");
  std::fflush(stdout);
  int sig = http::wait_for_stop_signal();
  spdlog::info("mqconsole: signal {} received, stopping", sig);
  srv.stop();
  c.stop();
  admin.shutdown();
  return 0;
}
