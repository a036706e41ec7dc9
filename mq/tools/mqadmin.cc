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
#include "tools_shared.h"
#include "mq/client/lite_pull_consumer.h"
#include "mq/client/producer.h"
#include "mq/common/message_id.h"

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
  std::set<std::string> flags;  // options that take no value
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

using mq::tools::iso_time;
using mq::tools::message_json;

// {"addr": {...}, ...} as one key/value block per address.
void print_sections(const json& j) {
  for (auto& [addr, conf] : j.items()) {
    std::cout << "============" << addr << "============\n";
    print_object(conf);
  }
}

void print_messages(const json& j) {
  bool first = true;
  for (auto& m : j) {
    if (!first) std::cout << "\n";
    first = false;
    json flat = m;
    flat["properties"] = m["properties"].dump(-1, ' ', false, json::error_handler_t::replace);
    if (flat["body"].is_null()) flat.erase("body");
    else flat.erase("bodyHex");
    print_object(flat);
  }
  if (j.empty()) std::cout << "no message\n";
}

// ---- the rest of RocketMQ's command list (and three of ours) ----------------

namespace req = mq::remoting::request_code;
namespace rc = mq::remoting::response_code;
using mq::remoting::remoting_command;

// A raw request that must answer SUCCESS.
remoting_command must(admin_client& a, const std::string& addr, remoting_command r, const std::string& what) {
  auto resp = need(a.call(addr, std::move(r)), what);
  if (resp.code != rc::SUCCESS)
    throw op_error{what + ": code " + std::to_string(resp.code) + (resp.remark ? ", " + *resp.remark : "")};
  return resp;
}

json body_json(const remoting_command& r, const std::string& what) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw op_error{what + ": malformed JSON body"};
  return j;
}

// "k=v\n" lines (GET_BROKER_CONFIG, GET_NAMESRV_CONFIG bodies).
json properties_json(const std::string& text) {
  json out = json::object();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    auto eq = line.find('=');
    if (eq != std::string::npos && !line.empty() && line[0] != '#') out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

// The brokers -b (an address) or -c (every master of the cluster) name.
std::vector<std::string> target_brokers(admin_client& a, const std::map<std::string, std::string>& o) {
  if (!o.count("b") == !o.count("c")) throw usage_error{"give one of -b <broker address> and -c <cluster>"};
  if (o.count("b")) return {o.at("b")};
  auto ci = need(a.cluster(), "cluster info");
  auto it = ci.clusters.find(o.at("c"));
  if (it == ci.clusters.end()) throw op_error{"no cluster named " + o.at("c")};
  std::vector<std::string> out;
  for (auto& n : it->second)
    if (auto b = ci.brokers.find(n); b != ci.brokers.end() && !b->second.master_addr().empty())
      out.push_back(b->second.master_addr());
  return out;
}

std::string broker_addr_of(admin_client& a, const std::string& broker_name) {
  auto ci = need(a.cluster(), "cluster info");
  auto it = ci.brokers.find(broker_name);
  if (it == ci.brokers.end() || it->second.master_addr().empty()) throw op_error{"no live master named " + broker_name};
  return it->second.master_addr();
}

void set_offset(admin_client& a, const std::string& group, const mq::client::message_queue& q, int64_t offset) {
  auto r = remoting_command::request(req::UPDATE_CONSUMER_OFFSET);
  r.set("consumerGroup", group);
  r.set("topic", q.topic);
  r.set("queueId", int64_t{q.queue_id});
  r.set("commitOffset", offset);
  must(a, broker_addr_of(a, q.broker_name), std::move(r), "offset of " + q.to_string());
}

int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Sends `count` messages of `size` bytes to `topic` (on `broker` when given)
// and returns each send's round trip in ms (failures throw).
std::vector<double> timed_sends(const std::string& topic, const std::string& broker, int count, int size) {
  mq::client::producer_options po;
  po.namesrv_addr = g_namesrv;
  po.group = "MQADMIN_RT_PRODUCER";
  po.retry_times_when_send_failed = 0;
  mq::client::producer p(po);
  need(p.start(), "producer");
  std::vector<double> rts;
  mq::message m;
  m.topic = topic;
  m.body = std::string(static_cast<size_t>(size), 'x');
  for (int i = 0; i < count; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = broker.empty() ? p.send(m)
                            : p.send(m, [&broker](const std::vector<mq::client::message_queue>& qs, const mq::message&,
                                                  const std::any&) {
                                for (auto& q : qs)
                                  if (q.broker_name == broker) return q;
                                return qs.front();
                              }, {});
    if (!r) {
      p.shutdown();
      throw op_error{"send to " + topic + ": " + r.error().message};
    }
    rts.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  p.shutdown();
  return rts;
}

json rt_summary(const std::vector<double>& rts) {
  double sum = 0, max = 0;
  for (double x : rts) {
    sum += x;
    max = std::max(max, x);
  }
  return {{"count", rts.size()}, {"avgRtMs", rts.empty() ? 0 : sum / static_cast<double>(rts.size())}, {"maxRtMs", max}};
}

void add_more_commands(std::vector<command>& cs) {
  cs.push_back({"topicClusterList", "the clusters that hold a topic", {"t"}, {{"t", "topic"}},
                [](admin_client& a, auto& o) {
                  auto r = need(a.route(o.at("t")), "route of " + o.at("t"));
                  std::set<std::string> clusters;
                  for (auto& b : r.brokers) clusters.insert(b.cluster);
                  return json(clusters);
                },
                [](const json& j) {
                  for (auto& c : j) std::cout << c.get<std::string>() << "\n";
                }});
  cs.push_back({"updateTopicPerm", "change a topic's permission (2 write, 4 read, 6 both) on -b or every master of -c",
                {"t", "p"}, {{"t", "topic"}, {"p", "perm: 2, 4 or 6"}, {"b", "broker address"}, {"c", "cluster"}},
                [](admin_client& a, auto& o) {
                  int32_t perm = static_cast<int32_t>(number(o, "p", 6, 0, 7));
                  if (perm != 2 && perm != 4 && perm != 6) throw usage_error{"-p: 2, 4 or 6"};
                  json rows = json::array();
                  for (auto& addr : target_brokers(a, o)) {
                    auto all = body_json(must(a, addr, remoting_command::request(req::GET_ALL_TOPIC_CONFIG), "topics of " + addr),
                                         "topics of " + addr);
                    auto tc = all["topicConfigTable"].value(o.at("t"), json());
                    if (!tc.is_object()) throw op_error{"topic " + o.at("t") + " is not on " + addr};
                    mq::client::topic_config t;
                    t.name = o.at("t");
                    t.read_queue_nums = tc.value("readQueueNums", 8);
                    t.write_queue_nums = tc.value("writeQueueNums", 8);
                    t.order = tc.value("order", false);
                    int32_t old = tc.value("perm", 6);
                    t.perm = perm;
                    need(a.create_topic(addr, t), "update topic on " + addr);
                    rows.push_back({{"broker", addr}, {"topic", t.name}, {"oldPerm", old}, {"newPerm", perm}});
                  }
                  return rows;
                },
                [](const json& j) { print_rows(j, {"broker", "topic", "oldPerm", "newPerm"}); }});
  cs.push_back({"updateOrderConf", "the ordered-topic config in the name servers' KV (ORDER_TOPIC_CONFIG)", {"t", "m"},
                {{"t", "topic"}, {"m", "put, get or delete"}, {"v", "conf, e.g. broker-a:4;broker-b:4 (put)"}},
                [](admin_client& a, auto& o) {
                  std::string m = o.at("m");
                  if (m != "put" && m != "get" && m != "delete") throw usage_error{"-m: put, get or delete"};
                  if (m == "put" && !o.count("v")) throw usage_error{"-m put needs -v <conf>"};
                  json out = json::object();
                  for (auto& ns : a.namesrv_addrs()) {
                    auto r = remoting_command::request(m == "put" ? req::PUT_KV_CONFIG : m == "get" ? req::GET_KV_CONFIG
                                                                                                    : req::DELETE_KV_CONFIG);
                    r.set("namespace", "ORDER_TOPIC_CONFIG");
                    r.set("key", o.at("t"));
                    if (m == "put") r.set("value", o.at("v"));
                    auto resp = need(a.call(ns, std::move(r)), "name server " + ns);
                    if (m == "get")
                      out[ns] = resp.code == rc::SUCCESS && resp.field("value") ? json(*resp.field("value")) : json(nullptr);
                    else if (resp.code != rc::SUCCESS)
                      throw op_error{"name server " + ns + ": " + resp.remark.value_or("code " + std::to_string(resp.code))};
                    else
                      out[ns] = m == "put" ? "updated" : "deleted";
                  }
                  return out;
                },
                print_object});
  cs.push_back({"allocateMQ", "how a topic's queues split among client ids (averagely)", {"t", "i"},
                {{"t", "topic"}, {"i", "client ids, comma-separated"}}, [](admin_client& a, auto& o) {
                  auto r = need(a.route(o.at("t")), "route of " + o.at("t"));
                  auto all = r.subscribe_queues(o.at("t"));
                  std::sort(all.begin(), all.end());
                  std::vector<std::string> ids;
                  std::string list = o.at("i");
                  for (size_t p = 0; p <= list.size();) {
                    size_t c = list.find(',', p);
                    std::string id = list.substr(p, c == std::string::npos ? std::string::npos : c - p);
                    if (!id.empty()) ids.push_back(id);
                    if (c == std::string::npos) break;
                    p = c + 1;
                  }
                  if (ids.empty()) throw usage_error{"-i: at least one client id"};
                  std::sort(ids.begin(), ids.end());
                  json rows = json::array();
                  for (auto& id : ids)
                    for (auto& q : mq::client::allocate(mq::client::allocate_strategy::AVERAGELY, id, all, ids))
                      rows.push_back({{"clientId", id}, {"brokerName", q.broker_name}, {"queueId", q.queue_id}});
                  return rows;
                },
                [](const json& j) { print_rows(j, {"clientId", "brokerName", "queueId"}); }});
  cs.push_back({"clusterRT", "send round trip to every master of a cluster", {},
                {{"c", "cluster (all)"}, {"a", "messages per broker (100)"}, {"s", "message size (128)"}},
                [](admin_client& a, auto& o) {
                  int amount = static_cast<int>(number(o, "a", 100, 1, 100000));
                  int size = static_cast<int>(number(o, "s", 128, 1, 4 * 1024 * 1024));
                  auto ci = need(a.cluster(), "cluster info");
                  json rows = json::array();
                  for (auto& [cluster, names] : ci.clusters) {
                    if (o.count("c") && o.at("c") != cluster) continue;
                    for (auto& n : names) {
                      // Each broker serves a topic named after itself (brokerTopicEnable).
                      auto sum = rt_summary(timed_sends(n, n, amount, size));
                      sum["cluster"] = cluster;
                      sum["brokerName"] = n;
                      rows.push_back(sum);
                    }
                  }
                  return rows;
                },
                [](const json& j) { print_rows(j, {"cluster", "brokerName", "count", "avgRtMs", "maxRtMs"}); }});
  cs.push_back({"sendMsgStatus", "send messages to one broker and print each round trip", {"b"},
                {{"b", "broker name"}, {"s", "message size (128)"}, {"c", "count (50)"}}, [](admin_client&, auto& o) {
                  auto rts = timed_sends(o.at("b"), o.at("b"), static_cast<int>(number(o, "c", 50, 1, 100000)),
                                         static_cast<int>(number(o, "s", 128, 1, 4 * 1024 * 1024)));
                  json rows = json::array();
                  for (size_t i = 0; i < rts.size(); ++i) rows.push_back({{"n", i + 1}, {"rtMs", rts[i]}});
                  return json{{"sends", rows}, {"summary", rt_summary(rts)}};
                },
                [](const json& j) {
                  print_rows(j["sends"], {"n", "rtMs"});
                  std::cout << "\n";
                  print_object(j["summary"]);
                }});
  cs.push_back({"checkMsgSendRT", "send round trip to a topic", {"t"},
                {{"t", "topic"}, {"a", "amount (100)"}, {"s", "message size (128)"}}, [](admin_client&, auto& o) {
                  auto sum = rt_summary(timed_sends(o.at("t"), "", static_cast<int>(number(o, "a", 100, 1, 100000)),
                                                    static_cast<int>(number(o, "s", 128, 1, 4 * 1024 * 1024))));
                  sum["topic"] = o.at("t");
                  return sum;
                },
                print_object});
  cs.push_back({"brokerConsumeStats", "every group's progress on one broker", {"b"}, {{"b", "broker address"}},
                [](admin_client& a, auto& o) {
                  json rows = json::array();
                  auto ci = need(a.cluster(), "cluster info");
                  std::string name;
                  for (auto& [n, b] : ci.brokers)
                    for (auto& [id, addr] : b.addrs)
                      if (addr == o.at("b")) name = n;
                  if (name.empty()) throw op_error{"no broker at " + o.at("b")};
                  for (auto& g : need(a.subscription_groups(o.at("b")), "groups of " + o.at("b"))) {
                    auto p = a.consumer_progress(g.group_name);
                    if (!p) continue;
                    for (auto& r : p->rows)
                      if (r.queue.broker_name == name)
                        rows.push_back({{"group", g.group_name}, {"topic", r.queue.topic}, {"queueId", r.queue.queue_id},
                                        {"brokerOffset", r.broker_offset}, {"consumerOffset", r.consumer_offset},
                                        {"lag", r.lag()}, {"lastTime", iso_time(r.last_timestamp)}});
                  }
                  return rows;
                },
                [](const json& j) { print_rows(j, {"group", "topic", "queueId", "brokerOffset", "consumerOffset", "lag", "lastTime"}); }});
  cs.push_back({"getBrokerConfig", "a broker's configuration (-b, or every master of -c)", {},
                {{"b", "broker address"}, {"c", "cluster"}}, [](admin_client& a, auto& o) {
                  json out = json::object();
                  for (auto& addr : target_brokers(a, o))
                    out[addr] = properties_json(must(a, addr, remoting_command::request(req::GET_BROKER_CONFIG), "config of " + addr).body);
                  return out;
                },
                print_sections});
  cs.push_back({"updateBrokerConfig", "change a runtime-changeable broker key (-b, or every master of -c)", {"k", "v"},
                {{"b", "broker address"}, {"c", "cluster"}, {"k", "key"}, {"v", "value"}}, [](admin_client& a, auto& o) {
                  json out = json::object();
                  for (auto& addr : target_brokers(a, o)) {
                    auto r = remoting_command::request(req::UPDATE_BROKER_CONFIG);
                    r.body = o.at("k") + "=" + o.at("v") + "\n";
                    must(a, addr, std::move(r), "update config of " + addr);
                    out[addr] = "updated";
                  }
                  return out;
                },
                print_object});
  for (bool wipe : {true, false})
    cs.push_back({wipe ? "wipeWritePerm" : "addWritePerm",
                  wipe ? "take a broker's write permission away in every name server"
                       : "give a broker its write permission back in every name server",
                  {"b"}, {{"b", "broker name"}}, [wipe](admin_client& a, auto& o) {
                    json out = json::object();
                    for (auto& ns : a.namesrv_addrs()) {
                      auto r = remoting_command::request(wipe ? req::WIPE_WRITE_PERM_OF_BROKER : req::ADD_WRITE_PERM_OF_BROKER);
                      r.set("brokerName", o.at("b"));
                      auto resp = must(a, ns, std::move(r), "name server " + ns);
                      auto n = resp.field_int(wipe ? "wipeTopicCount" : "addTopicCount");
                      out[ns] = n ? *n : 0;
                    }
                    return out;
                  },
                  [](const json& j) {
                    for (auto& [ns, n] : j.items()) std::cout << ns << "  topics changed: " << n.dump() << "\n";
                  }});
  for (bool cq : {true, false})
    cs.push_back({cq ? "cleanExpiredCQ" : "cleanUnusedTopic",
                  cq ? "run the retention pass for consume queues now" : "remove the queues of topics the broker no longer has",
                  {}, {{"b", "broker address"}, {"c", "cluster"}}, [cq](admin_client& a, auto& o) {
                    json out = json::object();
                    for (auto& addr : target_brokers(a, o)) {
                      auto resp = must(a, addr, remoting_command::request(cq ? req::CLEAN_EXPIRED_CONSUMEQUEUE : req::CLEAN_UNUSED_TOPIC),
                                       "clean on " + addr);
                      out[addr] = resp.remark.value_or("done");
                    }
                    return out;
                  },
                  print_object});
  cs.push_back({"consumeMessage", "read messages: with -g as a consumer of the group (offsets committed), else from -o",
                {"t"},
                {{"t", "topic"}, {"g", "consumer group (commits its offsets)"}, {"b", "broker name (with -i)"},
                 {"i", "queue id"}, {"o", "from offset (without -g; default the queue's first)"}, {"c", "at most (128)"}},
                [](admin_client& a, auto& o) {
                  int max = static_cast<int>(number(o, "c", 128, 1, 100000));
                  json out = json::array();
                  if (o.count("g")) {
                    mq::client::lite_pull_options lo;
                    lo.namesrv_addr = g_namesrv;
                    lo.group = o.at("g");
                    lo.from_where = mq::client::consume_from_where::CONSUME_FROM_FIRST_OFFSET;
                    lo.auto_commit = false;
                    mq::client::lite_pull_consumer c(lo);
                    need(c.subscribe(o.at("t"), "*"), "subscribe");
                    need(c.start(), "consumer");
                    auto idle_until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
                    while (static_cast<int>(out.size()) < max && std::chrono::steady_clock::now() < idle_until) {
                      auto got = c.poll(std::chrono::milliseconds(300));
                      if (!got.empty()) idle_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
                      for (auto& m : got) out.push_back(message_json(m));
                    }
                    auto st = c.commit();
                    c.shutdown();
                    need(st, "commit of " + o.at("g"));
                    return out;
                  }
                  auto route = need(a.route(o.at("t")), "route of " + o.at("t"));
                  for (auto& q : route.subscribe_queues(o.at("t"))) {
                    if (o.count("b") && q.broker_name != o.at("b")) continue;
                    if (o.count("i") && q.queue_id != number(o, "i", 0, 0, 65535)) continue;
                    int64_t at = number(o, "o", -1, 0, INT64_MAX);
                    if (at < 0) {
                      auto stats = need(a.topic_stats(o.at("t")), "queues of " + o.at("t"));
                      for (auto& s : stats)
                        if (s.queue == q) at = s.min_offset;
                    }
                    while (static_cast<int>(out.size()) < max) {
                      auto batch = need(a.messages_from(q, std::max<int64_t>(at, 0), 32), "read " + q.to_string());
                      if (batch.empty()) break;
                      for (auto& m : batch) {
                        if (static_cast<int>(out.size()) < max) out.push_back(message_json(m));
                        at = m.queue_offset + 1;
                      }
                    }
                  }
                  return out;
                },
                print_messages});
  for (bool by_queue : {false, true})
    cs.push_back({by_queue ? "printMsgByQueue" : "printMsg",
                  by_queue ? "messages of one queue stored between two times" : "messages of a topic stored between two times",
                  by_queue ? std::vector<std::string>{"t", "a", "i"} : std::vector<std::string>{"t"},
                  by_queue ? std::map<std::string, std::string>{{"t", "topic"}, {"a", "broker name"}, {"i", "queue id"},
                                                                {"b", "begin, ms (0)"}, {"e", "end, ms (now)"},
                                                                {"c", "at most (1000)"}}
                           : std::map<std::string, std::string>{{"t", "topic"}, {"b", "begin, ms (0)"}, {"e", "end, ms (now)"},
                                                                {"c", "at most (1000)"}},
                  [by_queue](admin_client& a, auto& o) {
                    int64_t begin = number(o, "b", 0, 0, INT64_MAX), end = number(o, "e", now_millis(), 0, INT64_MAX);
                    int max = static_cast<int>(number(o, "c", 1000, 1, 1000000));
                    json out = json::array();
                    for (auto& m : need(a.query_messages_by_time(o.at("t"), begin, end, by_queue ? 1000000 : max), "messages of " + o.at("t"))) {
                      if (by_queue) {
                        auto d = mq::decode_offset_msg_id(m.msg_id);
                        (void)d;
                        if (m.queue_id != number(o, "i", 0, 0, 65535)) continue;
                      }
                      if (static_cast<int>(out.size()) < max) out.push_back(message_json(m));
                    }
                    if (by_queue) {
                      // The broker of each message is its store host: keep the ones of -a.
                      std::string addr = broker_addr_of(a, o.at("a"));
                      json kept = json::array();
                      for (auto& m : out) {
                        auto d = mq::decode_offset_msg_id(m["offsetMsgId"].get<std::string>());
                        if (d && d->first.to_string() == addr) kept.push_back(m);
                      }
                      return kept;
                    }
                    return out;
                  },
                  print_messages});
  cs.push_back({"listHalfMessages", "transactional half messages not yet committed or rolled back (and discarded ones)", {},
                {{"b", "broker address"}, {"c", "cluster"}, {"m", "at most, per broker (100)"}}, [](admin_client& a, auto& o) {
                  json rows = json::array();
                  for (auto& addr : target_brokers(a, o)) {
                    auto r = remoting_command::request(req::LIST_HALF_MESSAGES);
                    r.set("maxNum", number(o, "m", 100, 1, 10000));
                    auto body = body_json(must(a, addr, std::move(r), "half messages of " + addr), "half messages of " + addr);
                    json halves = body.value("halfMessages", json::array());
                    for (auto& h : halves) {
                      h["broker"] = addr;
                      h["age"] = std::to_string(h.value("ageMs", int64_t{0}) / 1000) + "s";
                      h["storeTime"] = iso_time(h.value("storeTimestamp", int64_t{0}));
                      rows.push_back(h);
                    }
                  }
                  return rows;
                },
                [](const json& j) {
                  print_rows(j, {"broker", "topic", "producerGroup", "msgId", "offsetMsgId", "storeTime", "age", "checkTimes", "discarded"});
                }});
  cs.push_back({"resumeCheckHalfMessage", "check a half message again (its count reset; a discarded one comes back)", {"i"},
                {{"i", "the half message's offsetMsgId (listHalfMessages)"}}, [](admin_client& a, auto& o) {
                  auto d = mq::decode_offset_msg_id(o.at("i"));
                  if (!d) throw usage_error{"-i: not an offsetMsgId: " + d.error().message};
                  auto r = remoting_command::request(req::RESUME_CHECK_HALF_MESSAGE);
                  r.set("msgId", o.at("i"));
                  must(a, d->first.to_string(), std::move(r), "resume check of " + o.at("i"));
                  return json{{"offsetMsgId", o.at("i")}, {"result", "resumed"}};
                },
                print_object});
  cs.push_back({"consumerStatus", "what each client of a group runs: properties, subscriptions, queues held", {"g"},
                {{"g", "consumer group"}, {"i", "one client id"}}, [](admin_client& a, auto& o) {
                  auto conns = need(a.consumer_connections(o.at("g")), "connections of " + o.at("g"));
                  auto ci = need(a.cluster(), "cluster info");
                  json out = json::array();
                  for (auto& c : conns.connections) {
                    if (o.count("i") && c.client_id != o.at("i")) continue;
                    json info;
                    for (auto& [n, b] : ci.brokers) {  // the first master that knows the client relays
                      if (b.master_addr().empty()) continue;
                      auto r = remoting_command::request(req::GET_CONSUMER_RUNNING_INFO);
                      r.set("consumerGroup", o.at("g"));
                      r.set("clientId", c.client_id);
                      r.set("jstackEnable", "false");
                      auto resp = a.call(b.master_addr(), std::move(r));
                      if (resp && resp->code == rc::SUCCESS) {
                        info = body_json(*resp, "running info of " + c.client_id);
                        break;
                      }
                    }
                    if (info.is_null()) throw op_error{"no broker could reach client " + c.client_id};
                    json queues = json::array();
                    json mq_table = info.value("mqTable", json::object());
                    for (auto& [k, v] : mq_table.items()) {
                      auto key = json::parse(k, nullptr, false);
                      queues.push_back({{"topic", key.value("topic", "")}, {"brokerName", key.value("brokerName", "")},
                                        {"queueId", key.value("queueId", 0)}, {"commitOffset", v.value("commitOffset", -1)},
                                        {"cachedMsgCount", v.value("cachedMsgCount", 0)}, {"locked", v.value("locked", false)}});
                    }
                    out.push_back({{"clientId", c.client_id}, {"clientAddr", c.client_addr},
                                   {"properties", info.value("properties", json::object())},
                                   {"subscriptions", info.value("subscriptionSet", json::array())}, {"queues", queues}});
                  }
                  return out;
                },
                [](const json& j) {
                  for (auto& c : j) {
                    std::cout << "#" << c["clientId"].get<std::string>() << " (" << c["clientAddr"].get<std::string>() << ")\n";
                    print_object(c["properties"]);
                    for (auto& s : c["subscriptions"]) std::cout << "subscription  " << s.dump() << "\n";
                    print_rows(c["queues"], {"topic", "brokerName", "queueId", "commitOffset", "cachedMsgCount", "locked"});
                    std::cout << "\n";
                  }
                }});
  cs.push_back({"getConsumerStatus", "the offsets each client of a group holds for a topic", {"g", "t"},
                {{"g", "consumer group"}, {"t", "topic"}, {"i", "one client id"}}, [](admin_client& a, auto& o) {
                  auto route = need(a.route(o.at("t")), "route of " + o.at("t"));
                  json rows = json::array();
                  std::set<std::string> seen;
                  for (auto& b : route.brokers) {
                    if (b.master_addr().empty()) continue;
                    auto r = remoting_command::request(req::INVOKE_BROKER_TO_GET_CONSUMER_STATUS);
                    r.set("topic", o.at("t"));
                    r.set("group", o.at("g"));
                    if (o.count("i")) r.set("originClientId", o.at("i"));
                    auto resp = a.call(b.master_addr(), std::move(r));
                    if (!resp || resp->code != rc::SUCCESS) continue;
                    auto body = body_json(*resp, "consumer status");
                    json consumer_table = body.value("consumerTable", json::object());
                    for (auto& [client, table] : consumer_table.items())
                      for (auto& [k, off] : table.items()) {
                        if (!seen.insert(client + k).second) continue;
                        auto key = json::parse(k, nullptr, false);
                        rows.push_back({{"clientId", client}, {"brokerName", key.value("brokerName", "")},
                                        {"queueId", key.value("queueId", 0)}, {"offset", off}});
                      }
                    break;  // every master asks the same clients
                  }
                  if (rows.empty()) throw op_error{"no client of " + o.at("g") + " answered for " + o.at("t")};
                  return rows;
                },
                [](const json& j) { print_rows(j, {"clientId", "brokerName", "queueId", "offset"}); }});
  cs.push_back({"cloneGroupOffset", "copy one group's committed offsets of a topic to another group", {"s", "d", "t"},
                {{"s", "source group"}, {"d", "destination group"}, {"t", "topic"}, {"o", "offline (accepted, ignored)"}},
                [](admin_client& a, auto& o) {
                  auto p = need(a.consumer_progress(o.at("s"), o.at("t")), "progress of " + o.at("s"));
                  json rows = json::array();
                  for (auto& r : p.rows) {
                    if (r.queue.topic != o.at("t")) continue;
                    set_offset(a, o.at("d"), r.queue, r.consumer_offset);
                    rows.push_back({{"brokerName", r.queue.broker_name}, {"queueId", r.queue.queue_id}, {"offset", r.consumer_offset}});
                  }
                  return rows;
                },
                [](const json& j) { print_rows(j, {"brokerName", "queueId", "offset"}); }});
  cs.push_back({"skipAccumulatedMessage", "move a group past everything stored in a topic (stop its consumers first)",
                {"g", "t"}, {{"g", "consumer group"}, {"t", "topic"}, {"c", "cluster (accepted, ignored)"}},
                [](admin_client& a, auto& o) {
                  json rows = json::array();
                  for (auto& s : need(a.topic_stats(o.at("t")), "queues of " + o.at("t"))) {
                    set_offset(a, o.at("g"), s.queue, s.max_offset);
                    rows.push_back({{"brokerName", s.queue.broker_name}, {"queueId", s.queue.queue_id}, {"offset", s.max_offset}});
                  }
                  return rows;
                },
                [](const json& j) { print_rows(j, {"brokerName", "queueId", "offset"}); }});
  cs.push_back({"producerConnection", "the clients of a producer group", {"g", "t"},
                {{"g", "producer group"}, {"t", "a topic it sends to (its brokers are asked)"}}, [](admin_client& a, auto& o) {
                  auto route = need(a.route(o.at("t")), "route of " + o.at("t"));
                  json rows = json::array();
                  std::set<std::string> seen;
                  for (auto& b : route.brokers) {
                    if (b.master_addr().empty()) continue;
                    auto r = remoting_command::request(req::GET_PRODUCER_CONNECTION_LIST);
                    r.set("producerGroup", o.at("g"));
                    auto body = body_json(must(a, b.master_addr(), std::move(r), "producers on " + b.master_addr()), "producers");
                    json conns = body.value("connectionSet", json::array());
                    for (auto& c : conns)
                      if (seen.insert(c.value("clientId", "")).second)
                        rows.push_back({{"clientId", c.value("clientId", "")}, {"clientAddr", c.value("clientAddr", "")},
                                        {"language", c.value("language", "")}, {"version", c.value("version", 0)}});
                  }
                  return rows;
                },
                [](const json& j) { print_rows(j, {"clientId", "clientAddr", "language", "version"}); }});
  cs.push_back({"updateKvConfig", "set a KV config entry in every name server", {"s", "k", "v"},
                {{"s", "namespace"}, {"k", "key"}, {"v", "value"}}, [](admin_client& a, auto& o) {
                  for (auto& ns : a.namesrv_addrs()) {
                    auto r = remoting_command::request(req::PUT_KV_CONFIG);
                    r.set("namespace", o.at("s"));
                    r.set("key", o.at("k"));
                    r.set("value", o.at("v"));
                    must(a, ns, std::move(r), "name server " + ns);
                  }
                  return json{{"namespace", o.at("s")}, {"key", o.at("k")}, {"result", "updated"}};
                },
                print_object});
  cs.push_back({"deleteKvConfig", "delete a KV config entry from every name server", {"s", "k"},
                {{"s", "namespace"}, {"k", "key"}}, [](admin_client& a, auto& o) {
                  for (auto& ns : a.namesrv_addrs()) {
                    auto r = remoting_command::request(req::DELETE_KV_CONFIG);
                    r.set("namespace", o.at("s"));
                    r.set("key", o.at("k"));
                    must(a, ns, std::move(r), "name server " + ns);
                  }
                  return json{{"namespace", o.at("s")}, {"key", o.at("k")}, {"result", "deleted"}};
                },
                print_object});
  cs.push_back({"getNamesrvConfig", "every name server's configuration", {}, {}, [](admin_client& a, auto&) {
                  json out = json::object();
                  for (auto& ns : a.namesrv_addrs())
                    out[ns] = properties_json(must(a, ns, remoting_command::request(req::GET_NAMESRV_CONFIG), "config of " + ns).body);
                  return out;
                },
                print_sections});
  cs.push_back({"updateNamesrvConfig", "change a name server key in every name server", {"k", "v"},
                {{"k", "key"}, {"v", "value"}}, [](admin_client& a, auto& o) {
                  json out = json::object();
                  for (auto& ns : a.namesrv_addrs()) {
                    auto r = remoting_command::request(req::UPDATE_NAMESRV_CONFIG);
                    r.body = o.at("k") + "=" + o.at("v") + "\n";
                    must(a, ns, std::move(r), "name server " + ns);
                    out[ns] = "updated";
                  }
                  return out;
                },
                print_object});
  cs.push_back({"statsAll", "per topic and consuming group: messages stored, committed and the lag", {},
                {{"t", "one topic (all user topics)"}}, [](admin_client& a, auto& o) {
                  auto ci = need(a.cluster(), "cluster info");
                  std::set<std::string> skip;
                  for (auto& [c, n] : ci.clusters) skip.insert(c);
                  for (auto& [b, d] : ci.brokers) skip.insert(b);
                  std::vector<std::string> topics;
                  if (o.count("t")) topics.push_back(o.at("t"));
                  else
                    for (auto& t : need(a.topic_list(), "topic list"))
                      if (!skip.count(t) && t != "TBW102" && t != "SCHEDULE_TOPIC_XXXX" && !t.starts_with("%") &&
                          !t.starts_with("RMQ_SYS_"))
                        topics.push_back(t);
                  // Groups: every subscription group of every master.
                  std::set<std::string> groups;
                  for (auto& [n, b] : ci.brokers) {
                    if (b.master_addr().empty()) continue;
                    if (auto gs = a.subscription_groups(b.master_addr()))
                      for (auto& g : *gs) groups.insert(g.group_name);
                  }
                  std::map<std::string, std::map<std::string, std::pair<int64_t, int64_t>>> by_topic;  // topic -> group -> (committed, lag)
                  for (auto& g : groups)
                    if (auto p = a.consumer_progress(g))
                      for (auto& r : p->rows) {
                        auto& x = by_topic[r.queue.topic][g];
                        x.first += r.consumer_offset;
                        x.second += r.lag();
                      }
                  json rows = json::array();
                  for (auto& t : topics) {
                    int64_t stored = 0;
                    if (auto st = a.topic_stats(t))
                      for (auto& q : *st) stored += q.max_offset;
                    auto it = by_topic.find(t);
                    if (it == by_topic.end() || it->second.empty()) {
                      rows.push_back({{"topic", t}, {"group", ""}, {"inTotal", stored}, {"outTotal", 0}, {"accumulation", nullptr}});
                      continue;
                    }
                    for (auto& [g, x] : it->second)
                      rows.push_back({{"topic", t}, {"group", g}, {"inTotal", stored}, {"outTotal", x.first}, {"accumulation", x.second}});
                  }
                  return rows;
                },
                [](const json& j) { print_rows(j, {"topic", "group", "inTotal", "outTotal", "accumulation"}); }});
}

std::vector<command> commands() {
  std::vector<command> cs;
  cs.push_back({"clusterList", "brokers of every cluster", {}, {{"m", "also the messages in and out today"}},
                [](admin_client& a, auto& o) {
                  auto ci = need(a.cluster(), "cluster info");
                  json rows = json::array();
                  mq::tools::each_broker(ci, [&](const std::string& cluster, const std::string& n, int64_t id,
                                                 const std::string& addr) {
                    auto info = a.broker_runtime_info(addr);
                    auto get = [&](const char* k) { return info && info->count(k) ? info->at(k) : std::string("?"); };
                    json row{{"cluster", cluster}, {"brokerName", n}, {"brokerId", id}, {"address", addr},
                             {"version", get("brokerVersionDesc")}, {"putTps", get("putTps")},
                             {"getTps", get("getTransferedTps")}};
                    if (o.count("m")) {
                      row["inTotalToday"] = get("msgPutTotalTodayNow");
                      row["outTotalToday"] = get("msgGetTotalTodayNow");
                    }
                    rows.push_back(row);
                  });
                  return rows;
                },
                [](const json& j) {
                  std::vector<std::string> cols{"cluster", "brokerName", "brokerId", "address", "version", "putTps", "getTps"};
                  if (!j.empty() && j[0].contains("inTotalToday")) cols.insert(cols.end(), {"inTotalToday", "outTotalToday"});
                  print_rows(j, cols);
                },
                {"m"}});
  cs.push_back({"topicList", "every topic the name servers know", {}, {}, [](admin_client& a, auto&) {
                  json out = json::array();
                  for (auto& t : need(a.topic_list(), "topic list")) out.push_back(t);
                  return out;
                },
                [](const json& j) {
                  for (auto& t : j) std::cout << t.get<std::string>() << "\n";
                }});
  cs.push_back({"topicRoute", "the route of a topic", {"t"}, {{"t", "topic"}}, [](admin_client& a, auto& o) {
                  return mq::tools::route_json(need(a.route(o.at("t")), "route of " + o.at("t")));
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
                                    {"lastUpdate", iso_time(s.last_update_timestamp)}});
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
                                    {"lag", r.lag()}, {"lastTime", iso_time(r.last_timestamp)}});
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
  add_more_commands(cs);
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
    std::fprintf(to, "  -%s%s  %s%s\n", k.c_str(), c.flags.count(k) ? " (flag)" : "", v.c_str(),
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
    if (cmd->flags.count(k)) {
      opts[k] = "true";
      continue;
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
    if (as_json) std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
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
