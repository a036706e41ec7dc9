// mqadmin: RocketMQ's admin command line over our admin client (issue #8,
// first part: the commands below; docs/status.md lists what is missing).
//
//   mqadmin <command> [options] [--json]      mqadmin help [command]
//
// Options are RocketMQ's letters (-n namesrv, -c cluster, -b broker, -t
// topic, -g group, -k key, -i id, ...). Exit codes: 0 ok, 1 the operation
// failed (unreachable name server, broker error), 2 usage (unknown command
// or option, missing or bad value).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mq/client/admin.h"
#include "mq/client/producer.h"

namespace {

using nlohmann::json;
using mq::client::admin_client;

std::string g_namesrv;  // -n, for commands that need more than the admin client

struct usage_error {
  std::string what;
};
struct op_error {
  std::string what;
};

struct command {
  std::string name, summary;
  std::vector<std::string> required;  // option letters
  std::map<std::string, std::string> options;  // letter -> meaning (required ones included)
  std::function<json(admin_client&, const std::map<std::string, std::string>&)> run;
  // Renders the JSON result as a human-readable table.
  std::function<void(const json&)> print;
};

std::string table_cell(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Rows of objects with the same keys, as aligned columns.
void print_rows(const json& rows, const std::vector<std::string>& cols) {
  std::vector<size_t> width;
  for (auto& c : cols) width.push_back(c.size());
  for (auto& r : rows)
    for (size_t i = 0; i < cols.size(); ++i) width[i] = std::max(width[i], table_cell(r.value(cols[i], json())).size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(cols);
  for (auto& r : rows) {
    std::vector<std::string> cells;
    for (auto& c : cols) cells.push_back(table_cell(r.value(c, json())));
    line(cells);
  }
}

void print_object(const json& o) {
  size_t w = 0;
  for (auto& [k, v] : o.items()) w = std::max(w, k.size());
  for (auto& [k, v] : o.items()) std::cout << k << std::string(w - k.size() + 2, ' ') << table_cell(v) << "\n";
}

template <class T>
T need(mq::result<T> r, const std::string& what) {
  if (!r) throw op_error{what + ": " + r.error().message};
  return std::move(*r);
}
void need(const mq::status& s, const std::string& what) {
  if (!s.ok()) throw op_error{what + ": " + s.message};
}

int64_t number(const std::map<std::string, std::string>& o, const std::string& k, int64_t fallback, int64_t lo,
               int64_t hi) {
  auto it = o.find(k);
  if (it == o.end()) return fallback;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
    throw usage_error{"-" + k + ": '" + it->second + "' is not a number in " + std::to_string(lo) + ".." +
                      std::to_string(hi)};
  return v;
}

std::string iso(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
}

json message_json(const mq::message_ext& m) {
  bool text = true;
  for (unsigned char c : m.body) text = text && (c >= 0x20 || c == '\n' || c == '\t' || c == '\r');
  std::string hex;
  if (!text) {
    static const char* d = "0123456789abcdef";
    for (unsigned char c : m.body) {
      hex.push_back(d[c >> 4]);
      hex.push_back(d[c & 15]);
    }
  }
  return {{"topic", m.topic},
          {"queueId", m.queue_id},
          {"queueOffset", m.queue_offset},
          {"offsetMsgId", m.msg_id},
          {"msgId", m.properties.count("UNIQ_KEY") ? m.properties.at("UNIQ_KEY") : ""},
          {"tags", m.tags()},
          {"keys", m.properties.count("KEYS") ? m.properties.at("KEYS") : ""},
          {"storeTime", iso(m.store_timestamp)},
          {"reconsumeTimes", m.reconsume_times},
          {"properties", m.properties},
          {text ? "body" : "bodyHex", text ? m.body : hex}};
}

void print_messages(const json& j) {
  bool first = true;
  for (auto& m : j) {
    if (!first) std::cout << "\n";
    first = false;
    json flat = m;
    flat["properties"] = m["properties"].dump();
    print_object(flat);
  }
  if (j.empty()) std::cout << "no message\n";
}

std::vector<command> commands() {
  std::vector<command> cs;
  cs.push_back({"clusterList", "brokers of every cluster", {}, {}, [](admin_client& a, auto&) {
                  auto ci = need(a.cluster(), "cluster info");
                  json rows = json::array();
                  for (auto& [cluster, names] : ci.clusters)
                    for (auto& n : names) {
                      auto it = ci.brokers.find(n);
                      if (it == ci.brokers.end()) continue;
                      for (auto& [id, addr] : it->second.addrs) {
                        auto info = a.broker_runtime_info(addr);
                        rows.push_back({{"cluster", cluster},
                                        {"brokerName", n},
                                        {"brokerId", id},
                                        {"address", addr},
                                        {"version", info && info->count("brokerVersionDesc") ? info->at("brokerVersionDesc") : "?"},
                                        {"putTps", info && info->count("putTps") ? info->at("putTps") : "?"},
                                        {"getTps", info && info->count("getTransferedTps") ? info->at("getTransferedTps") : "?"}});
                      }
                    }
                  return rows;
                },
                [](const json& j) { print_rows(j, {"cluster", "brokerName", "brokerId", "address", "version", "putTps", "getTps"}); }});
  cs.push_back({"topicList", "every topic the name servers know", {}, {}, [](admin_client& a, auto&) {
                  json out = json::array();
                  for (auto& t : need(a.topic_list(), "topic list")) out.push_back(t);
                  return out;
                },
                [](const json& j) {
                  for (auto& t : j) std::cout << t.get<std::string>() << "\n";
                }});
  cs.push_back({"topicRoute", "the route of a topic", {"t"}, {{"t", "topic"}}, [](admin_client& a, auto& o) {
                  auto r = need(a.route(o.at("t")), "route of " + o.at("t"));
                  json q = json::array(), b = json::array();
                  for (auto& x : r.queues)
                    q.push_back({{"brokerName", x.broker_name}, {"readQueueNums", x.read_queue_nums},
                                 {"writeQueueNums", x.write_queue_nums}, {"perm", x.perm}});
                  for (auto& x : r.brokers)
                    for (auto& [id, addr] : x.addrs)
                      b.push_back({{"cluster", x.cluster}, {"brokerName", x.broker_name}, {"brokerId", id}, {"address", addr}});
                  return json{{"queueDatas", q}, {"brokerDatas", b}, {"orderTopicConf", r.order_topic_conf}};
                },
                [](const json& j) {
                  print_rows(j["queueDatas"], {"brokerName", "readQueueNums", "writeQueueNums", "perm"});
                  std::cout << "\n";
                  print_rows(j["brokerDatas"], {"cluster", "brokerName", "brokerId", "address"});
                }});
  cs.push_back({"updateTopic", "create or update a topic on a broker (-b) or every master of a cluster (-c)", {"t"},
                {{"t", "topic"}, {"b", "broker address"}, {"c", "cluster"}, {"r", "read queues (8)"},
                 {"w", "write queues (8)"}, {"p", "perm (6)"}, {"o", "order (false)"}},
                [](admin_client& a, auto& o) {
                  if (!o.count("b") == !o.count("c")) throw usage_error{"give one of -b and -c"};
                  mq::client::topic_config t;
                  t.name = o.at("t");
                  t.read_queue_nums = static_cast<int32_t>(number(o, "r", 8, 1, 1024));
                  t.write_queue_nums = static_cast<int32_t>(number(o, "w", 8, 1, 1024));
                  t.perm = static_cast<int32_t>(number(o, "p", 6, 0, 7));
                  if (o.count("o") && o.at("o") != "true" && o.at("o") != "false") throw usage_error{"-o: true or false"};
                  t.order = o.count("o") && o.at("o") == "true";
                  if (o.count("b")) need(a.create_topic(o.at("b"), t), "update topic on " + o.at("b"));
                  else need(a.create_topic_in_cluster(o.at("c"), t), "update topic in cluster " + o.at("c"));
                  return json{{"topic", t.name}, {"readQueueNums", t.read_queue_nums}, {"writeQueueNums", t.write_queue_nums},
                              {"perm", t.perm}, {"order", t.order}, {"result", "updated"}};
                },
                print_object});
  cs.push_back({"deleteTopic", "delete a topic from a cluster and the name servers", {"t", "c"},
                {{"t", "topic"}, {"c", "cluster"}}, [](admin_client& a, auto& o) {
                  need(a.delete_topic(o.at("c"), o.at("t")), "delete topic " + o.at("t"));
                  return json{{"topic", o.at("t")}, {"result", "deleted"}};
                },
                print_object});
  cs.push_back({"topicStatus", "min/max offset of every queue of a topic", {"t"}, {{"t", "topic"}},
                [](admin_client& a, auto& o) {
                  json rows = json::array();
                  for (auto& s : need(a.topic_stats(o.at("t")), "topic status of " + o.at("t")))
                    rows.push_back({{"brokerName", s.queue.broker_name}, {"queueId", s.queue.queue_id},
                                    {"minOffset", s.min_offset}, {"maxOffset", s.max_offset},
                                    {"lastUpdate", iso(s.last_update_timestamp)}});
                  return rows;
                },
                [](const json& j) { print_rows(j, {"brokerName", "queueId", "minOffset", "maxOffset", "lastUpdate"}); }});
  cs.push_back({"consumerProgress", "per queue: broker offset, consumer offset, lag", {"g"},
                {{"g", "consumer group"}, {"t", "topic (all the group consumes)"}}, [](admin_client& a, auto& o) {
                  auto st = need(a.consumer_progress(o.at("g"), o.count("t") ? o.at("t") : ""), "progress of " + o.at("g"));
                  json rows = json::array();
                  for (auto& r : st.rows)
                    rows.push_back({{"topic", r.queue.topic}, {"brokerName", r.queue.broker_name}, {"queueId", r.queue.queue_id},
                                    {"brokerOffset", r.broker_offset}, {"consumerOffset", r.consumer_offset},
                                    {"lag", r.lag()}, {"lastTime", iso(r.last_timestamp)}});
                  return json{{"queues", rows}, {"totalLag", st.total_lag()}, {"consumeTps", st.consume_tps}};
                },
                [](const json& j) {
                  print_rows(j["queues"], {"topic", "brokerName", "queueId", "brokerOffset", "consumerOffset", "lag", "lastTime"});
                  std::cout << "\nConsume TPS: " << j["consumeTps"].dump() << "\nDiff Total: " << j["totalLag"].dump() << "\n";
                }});
  cs.push_back({"consumerConnection", "the clients of a consumer group", {"g"}, {{"g", "consumer group"}},
                [](admin_client& a, auto& o) {
                  auto c = need(a.consumer_connections(o.at("g")), "connections of " + o.at("g"));
                  json rows = json::array();
                  for (auto& x : c.connections)
                    rows.push_back({{"clientId", x.client_id}, {"clientAddr", x.client_addr}, {"language", x.language},
                                    {"version", x.version}});
                  return json{{"connections", rows}, {"consumeType", c.consume_type}, {"messageModel", c.message_model},
                              {"consumeFromWhere", c.consume_from_where}, {"subscriptions", c.subscriptions}};
                },
                [](const json& j) {
                  print_rows(j["connections"], {"clientId", "clientAddr", "language", "version"});
                  std::cout << "\nConsumeType: " << j["consumeType"].get<std::string>()
                            << "\nMessageModel: " << j["messageModel"].get<std::string>()
                            << "\nConsumeFromWhere: " << j["consumeFromWhere"].get<std::string>() << "\n";
                  for (auto& [t, e] : j["subscriptions"].items()) std::cout << "Subscription: " << t << " " << e.get<std::string>() << "\n";
                }});
  cs.push_back({"resetOffsetByTime", "set a group's offsets of a topic to a time (stop its consumers first)",
                {"g", "t", "s"}, {{"g", "consumer group"}, {"t", "topic"}, {"s", "timestamp in ms, or 'now'"}},
                [](admin_client& a, auto& o) {
                  int64_t ts = o.at("s") == "now" ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        std::chrono::system_clock::now().time_since_epoch()).count()
                                                  : number(o, "s", 0, 0, INT64_MAX);
                  json rows = json::array();
                  for (auto& [q, off] : need(a.reset_offset_by_time(o.at("g"), o.at("t"), ts), "reset of " + o.at("g")))
                    rows.push_back({{"brokerName", q.broker_name}, {"queueId", q.queue_id}, {"offset", off}});
                  return rows;
                },
                [](const json& j) { print_rows(j, {"brokerName", "queueId", "offset"}); }});
  cs.push_back({"updateSubGroup", "create or update a subscription group on every master of a cluster", {"g", "c"},
                {{"g", "group"}, {"c", "cluster"}, {"r", "retry max times (16)"}}, [](admin_client& a, auto& o) {
                  mq::client::subscription_group_config c;
                  c.group_name = o.at("g");
                  c.retry_max_times = static_cast<int32_t>(number(o, "r", 16, 0, 1000));
                  need(a.create_subscription_group(o.at("c"), c), "update subscription group " + c.group_name);
                  return json{{"group", c.group_name}, {"retryMaxTimes", c.retry_max_times}, {"result", "updated"}};
                },
                print_object});
  cs.push_back({"deleteSubGroup", "delete a subscription group from every master of a cluster", {"g", "c"},
                {{"g", "group"}, {"c", "cluster"}}, [](admin_client& a, auto& o) {
                  need(a.delete_subscription_group(o.at("c"), o.at("g")), "delete subscription group " + o.at("g"));
                  return json{{"group", o.at("g")}, {"result", "deleted"}};
                },
                print_object});
  cs.push_back({"queryMsgByKey", "messages of a topic with a key (KEYS)", {"t", "k"},
                {{"t", "topic"}, {"k", "key"}, {"m", "max messages (32)"}}, [](admin_client& a, auto& o) {
                  json out = json::array();
                  int max = static_cast<int>(number(o, "m", 32, 1, 64));
                  for (auto& m : need(a.query_message_by_key(o.at("t"), o.at("k"), max, 0, INT64_MAX), "query by key"))
                    out.push_back(message_json(m));
                  return out;
                },
                print_messages});
  cs.push_back({"queryMsgById", "a message by its offsetMsgId (the broker's id)", {"i"}, {{"i", "offsetMsgId"}},
                [](admin_client& a, auto& o) { return json::array({message_json(need(a.view_message(o.at("i")), "message " + o.at("i")))}); },
                print_messages});
  cs.push_back({"queryMsgByUniqueKey", "a message by its msgId (the producer's UNIQ_KEY)", {"t", "i"},
                {{"t", "topic"}, {"i", "msgId"}}, [](admin_client& a, auto& o) {
                  json out = json::array();
                  for (auto& m : need(a.query_message_by_unique_key(o.at("t"), o.at("i")), "query by msgId")) out.push_back(message_json(m));
                  return out;
                },
                print_messages});
  cs.push_back({"queryMsgByOffset", "the message at a queue offset", {"t", "b", "i", "o"},
                {{"t", "topic"}, {"b", "broker name"}, {"i", "queue id"}, {"o", "queue offset"}},
                [](admin_client& a, auto& o) {
                  mq::client::message_queue q{o.at("t"), o.at("b"), static_cast<int32_t>(number(o, "i", 0, 0, 65535))};
                  return json::array({message_json(need(a.message_at(q, number(o, "o", 0, 0, INT64_MAX)), "message at offset"))});
                },
                print_messages});
  cs.push_back({"resendDlq", "resend a group's dead letters to their topic", {"g"},
                {{"g", "consumer group"}, {"i", "one dead letter's offsetMsgId (all by default)"}, {"o", "from DLQ offset (0)"}},
                [](admin_client& a, auto& o) {
                  int n = need(a.resend_dlq(o.at("g"), o.count("i") ? o.at("i") : "", number(o, "o", 0, 0, INT64_MAX)), "resend of %DLQ%" + o.at("g"));
                  return json{{"group", o.at("g")}, {"resent", n}};
                },
                print_object});
  cs.push_back({"sendMessage", "send one message", {"t", "p"},
                {{"t", "topic"}, {"p", "body"}, {"k", "keys"}, {"c", "tags"}}, [](admin_client&, auto& o) {
                  mq::client::producer_options po;
                  po.namesrv_addr = g_namesrv;
                  po.group = "MQADMIN_PRODUCER";
                  mq::client::producer p(po);
                  need(p.start(), "producer");
                  mq::message m;
                  m.topic = o.at("t");
                  m.body = o.at("p");
                  if (o.count("k")) m.set_keys({o.at("k")});
                  if (o.count("c")) m.set_tags(o.at("c"));
                  auto r = p.send(m);
                  p.shutdown();
                  auto sent = need(std::move(r), "send to " + m.topic);
                  return json{{"brokerName", sent.queue.broker_name}, {"queueId", sent.queue.queue_id},
                              {"queueOffset", sent.queue_offset}, {"msgId", sent.msg_id},
                              {"offsetMsgId", sent.offset_msg_id}, {"sendStatus", mq::client::to_string(sent.status)}};
                },
                print_object});
  cs.push_back({"brokerStatus", "a broker's runtime figures", {"b"}, {{"b", "broker address"}},
                [](admin_client& a, auto& o) {
                  json out = json::object();
                  for (auto& [k, v] : need(a.broker_runtime_info(o.at("b")), "status of " + o.at("b"))) out[k] = v;
                  return out;
                },
                print_object});
  return cs;
}

void usage(const std::vector<command>& cs, std::FILE* to) {
  std::fprintf(to, "usage: mqadmin <command> [options] [--json]   (mqadmin help <command>)\n\ncommands:\n");
  for (auto& c : cs) std::fprintf(to, "  %-22s %s\n", c.name.c_str(), c.summary.c_str());
  std::fprintf(to, "\nevery command takes -n <namesrv host:port[;host:port]> (or NAMESRV_ADDR)\n");
}

void command_help(const command& c, std::FILE* to) {
  std::fprintf(to, "usage: mqadmin %s -n <namesrv>", c.name.c_str());
  for (auto& r : c.required) std::fprintf(to, " -%s <%s>", r.c_str(), c.options.at(r).c_str());
  std::fprintf(to, " [options] [--json]\n%s\n", c.summary.c_str());
  for (auto& [k, v] : c.options)
    std::fprintf(to, "  -%s  %s%s\n", k.c_str(), v.c_str(),
                 std::find(c.required.begin(), c.required.end(), k) != c.required.end() ? " (required)" : "");
  std::fprintf(to, "  -n  name server address(es)\n  --json  print JSON instead of a table\n");
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);  // the client's logs; errors are printed below
  auto cs = commands();
  if (argc < 2) {
    usage(cs, stderr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "help" || name == "-h" || name == "--help") {
    if (argc >= 3) {
      for (auto& c : cs)
        if (c.name == argv[2]) {
          command_help(c, stdout);
          return 0;
        }
      std::fprintf(stderr, "mqadmin: unknown command '%s'\n", argv[2]);
      return 2;
    }
    usage(cs, stdout);
    return 0;
  }
  const command* cmd = nullptr;
  for (auto& c : cs)
    if (c.name == name) cmd = &c;
  if (!cmd) {
    std::fprintf(stderr, "mqadmin: unknown command '%s'\n", name.c_str());
    usage(cs, stderr);
    return 2;
  }
  std::map<std::string, std::string> opts;
  bool as_json = false;
  std::string namesrv = std::getenv("NAMESRV_ADDR") ? std::getenv("NAMESRV_ADDR") : "";
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      as_json = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      command_help(*cmd, stdout);
      return 0;
    }
    std::string k = a.size() == 2 && a[0] == '-' ? a.substr(1) : "";
    if (k.empty() || (k != "n" && !cmd->options.count(k))) {
      std::fprintf(stderr, "mqadmin %s: unknown option '%s'\n", name.c_str(), a.c_str());
      command_help(*cmd, stderr);
      return 2;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "mqadmin %s: option %s needs a value\n", name.c_str(), a.c_str());
      return 2;
    }
    (k == "n" ? namesrv : opts[k]) = argv[++i];
  }
  for (auto& r : cmd->required)
    if (!opts.count(r)) {
      std::fprintf(stderr, "mqadmin %s: -%s <%s> is required\n", name.c_str(), r.c_str(), cmd->options.at(r).c_str());
      command_help(*cmd, stderr);
      return 2;
    }
  if (namesrv.empty()) {
    std::fprintf(stderr, "mqadmin %s: no name server: give -n host:port or set NAMESRV_ADDR\n", name.c_str());
    return 2;
  }
  g_namesrv = namesrv;
  mq::client::client_options co;
  co.namesrv_addr = namesrv;
  co.request_timeout = std::chrono::milliseconds(3000);
  admin_client admin(co);
  try {
    if (auto st = admin.start(); !st.ok()) throw op_error{"cannot start: " + st.message};
    json out = cmd->run(admin, opts);
    if (as_json) std::cout << out.dump(2) << "\n";
    else cmd->print(out);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "mqadmin %s: %s\n", name.c_str(), e.what.c_str());
    admin.shutdown();
    return 2;
  } catch (const op_error& e) {
    std::fprintf(stderr, "mqadmin %s: %s\n", name.c_str(), e.what.c_str());
    admin.shutdown();
    return 1;
  }
  admin.shutdown();
  return 0;
}
