// mqbench: producer / consumer / end-to-end benchmark for a RocketMQ 4.x
// compatible broker, in the spirit of RocketMQ's Producer/Consumer benchmark.
// There is no client library yet, so it speaks the remoting protocol directly
// (rocketmq-protocol.md §2.1 send/pull headers, §3.1 route JSON, §4.1
// records, §4.7 batch body, §6.3 pull codes).
//
//   mqbench produce|consume|e2e -n NAMESRV -t TOPIC [options]   (see usage())
//
// Output: a progress line per second on stdout, then ONE line starting with
// `SUMMARY` (key=value pairs). Errors go to stderr. Exit status 0; 1 when a
// send failed, when (e2e) an acknowledged message was not consumed within
// 30 s of the producers stopping, or when the name server or topic cannot be
// reached; 2 on bad options.
//
// Producer: C real TCP connections to every broker, opened as slots of one
// remoting_client with two io threads (get_channel(addr, slot)), so the load
// generator costs few context switches. Each connection keeps I sends in
// flight; a response callback (io thread) issues the next send. After an error
// the lane is re-armed 100 ms later by the scheduler thread, never inline, so
// a dead broker neither spins nor recurses. Latency = response - request on
// steady_clock, one sample per request (per batch with --batch).
//
// Consumer: one client, one long-polling PULL_MESSAGE in flight per read
// queue. In e2e mode every message carries BENCH_RUN (this run's id) and
// BENCH_TS (send time, ns since the epoch); only this run's messages count and
// e2e latency = receive time - BENCH_TS.
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <spdlog/fmt/fmt.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "mq/common/batch.h"
#include "mq/common/message.h"
#include "mq/common/message_const.h"
#include "mq/common/message_id.h"
#include "mq/common/message_record.h"
#include "mq/common/properties.h"
#include "mq/common/result.h"
#include "mq/remoting/client.h"
#include "mq/remoting/json.h"
#include "mq/remoting/remoting_command.h"

namespace mq::tools {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using remoting::invoke_result;
using remoting::remoting_client;
using remoting::remoting_command;
namespace req_code = remoting::request_code;
namespace resp_code = remoting::response_code;

constexpr std::chrono::milliseconds admin_timeout = 3s;
constexpr std::chrono::milliseconds send_timeout = 5s;
constexpr std::chrono::milliseconds pull_timeout = 30s;  // suspend 15 s + margin (§6.3)
constexpr std::chrono::milliseconds send_retry_delay = 100ms;
constexpr std::chrono::milliseconds pull_retry_delay = 1s;  // Java pullTimeDelayMillsWhenException
constexpr std::chrono::milliseconds commit_interval = 5s;   // Java persistConsumerOffsetInterval
constexpr std::chrono::milliseconds e2e_drain_timeout = 30s;
constexpr int64_t pull_batch = 32;
constexpr const char* default_topic = "TBW102";
constexpr std::string_view bench_ts_key = "BENCH_TS";
constexpr std::string_view bench_run_key = "BENCH_RUN";

std::atomic<bool> g_interrupted{false};  // SIGINT / SIGTERM: end the run early, still summarize
void on_signal(int) { g_interrupted = true; }

// ---- options ----------------------------------------------------------------

enum class bench_mode { produce, consume, e2e };
constexpr std::array<const char*, 3> mode_names = {"produce", "consume", "e2e"};
const char* mode_name(bench_mode m) { return mode_names[static_cast<size_t>(m)]; }

struct bench_options {
  bench_mode mode = bench_mode::produce;
  std::vector<std::string> namesrv_addrs;  // -n "a:9876;b:9876"
  std::string topic;
  size_t message_size = 1024;
  int32_t queues = 8;       // read/write queues when --create makes the topic
  size_t connections = 64;  // producer TCP connections (to every broker)
  size_t in_flight = 1;     // sends in flight per connection
  size_t batch = 1;         // messages per send; > 1 uses SEND_BATCH_MESSAGE
  std::chrono::milliseconds duration = 10s;
  std::optional<int64_t> count;  // produce/e2e: messages to send; consume: to receive
  std::string group = "mqbench";
  bool create = false;
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: mqbench produce|consume|e2e -n NAMESRV -t TOPIC [options]\n"
               "  -n ADDR[;ADDR]    name server(s), host:port\n"
               "  -t TOPIC          topic\n"
               "  -s SIZE           message body bytes (1024)\n"
               "  -q QUEUES         read/write queues when --create makes the topic (8)\n"
               "  -c CONNECTIONS    producer connections to every broker (64)\n"
               "  -i IN_FLIGHT      sends in flight per connection (1)\n"
               "  --batch N         N messages per SEND_BATCH_MESSAGE (1: SEND_MESSAGE_V2)\n"
               "  --duration S      run for S seconds (10; fractions allowed)\n"
               "  --count N         instead, send (produce, e2e) or receive (consume) N messages\n"
               "  -g GROUP          producer and consumer group (mqbench)\n"
               "  --create          create the topic on every master if it does not exist\n"
               "  -h, --help        this text\n"
               "A line per second, then one SUMMARY line (MB = 10^6 bytes of message body).\n"
               "Exit: 0 ok; 1 send failures, e2e messages not consumed within 30 s, no name\n"
               "server or no topic; 2 bad options.\n");
}

std::optional<int64_t> parse_positive(std::string_view s, int64_t max) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v <= 0 || v > max) return std::nullopt;
  return v;
}

std::vector<std::string> split_addrs(std::string_view s) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= s.size();) {
    size_t end = std::min(s.find_first_of(";,", start), s.size());
    if (end > start) out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Parses argv[1..]. nullopt with *err set on bad input, or with *help on -h.
std::optional<bench_options> parse_options(const std::vector<std::string>& args, std::string* err,
                                           bool* help) {
  bench_options o;
  const auto mode = std::find(mode_names.begin(), mode_names.end(), args.empty() ? "" : args[0]);
  *help = !args.empty() && (args[0] == "-h" || args[0] == "--help");
  if (*help) return std::nullopt;
  if (mode == mode_names.end()) {
    *err = args.empty() ? "missing mode (produce, consume or e2e)" : "unknown mode '" + args[0] + "'";
    return std::nullopt;
  }
  o.mode = static_cast<bench_mode>(mode - mode_names.begin());
  const std::map<std::string_view, std::pair<int64_t, std::function<void(int64_t)>>> numeric{
      {"-s", {64 << 20, [&](int64_t v) { o.message_size = static_cast<size_t>(v); }}},
      {"-q", {1024, [&](int64_t v) { o.queues = static_cast<int32_t>(v); }}},
      {"-c", {4096, [&](int64_t v) { o.connections = static_cast<size_t>(v); }}},
      {"-i", {4096, [&](int64_t v) { o.in_flight = static_cast<size_t>(v); }}},
      {"--batch", {4096, [&](int64_t v) { o.batch = static_cast<size_t>(v); }}},
      {"--count", {INT64_MAX / 2, [&](int64_t v) { o.count = v; }}},
  };
  bool have_duration = false;
  for (size_t i = 1; i < args.size() && err->empty(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      *help = true;
      return std::nullopt;
    }
    if (a == "--create") {
      o.create = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      *err = a.starts_with("-") ? "option " + a + " needs a value" : "unexpected argument '" + a + "'";
      break;
    }
    const std::string& v = args[++i];
    if (auto it = numeric.find(a); it != numeric.end()) {
      auto n = parse_positive(v, it->second.first);
      if (n) it->second.second(*n);
      else *err = "option " + a + ": '" + v + "' is not an integer in 1.." + std::to_string(it->second.first);
    } else if (a == "--duration") {
      double secs = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
      if (ec != std::errc{} || p != v.data() + v.size() || !(secs > 0) || secs > 1e7) {
        *err = "option --duration: '" + v + "' is not a positive number of seconds";
      }
      o.duration = std::chrono::milliseconds(std::max<int64_t>(1, std::llround(secs * 1000)));
      have_duration = true;
    } else if (a == "-n") {
      o.namesrv_addrs = split_addrs(v);
    } else if (a == "-t") {
      o.topic = v;
    } else if (a == "-g") {
      o.group = v;
    } else {
      *err = "unknown option " + a;
    }
  }
  if (!err->empty()) return std::nullopt;
  if (o.namesrv_addrs.empty()) *err = "-n NAMESRV is required";
  else if (o.topic.empty()) *err = "-t TOPIC is required";
  else if (o.topic.size() > 127) *err = "topic longer than 127 bytes";
  else if (o.group.empty()) *err = "-g GROUP must not be empty";
  else if (have_duration && o.count) *err = "--duration and --count are exclusive";
  else if (o.message_size * o.batch > (64u << 20)) *err = "SIZE x --batch is over 64 MiB";
  if (!err->empty()) return std::nullopt;
  return o;
}

// ---- histogram ----------------------------------------------------------------

// Counts of a histogram at one moment; plain values owned by one thread.
struct histogram_snapshot;

// Log-linear histogram of non-negative integers (µs here): exact below 128,
// then 64 sub-buckets per power of two (< 1.6 % error). record() is one relaxed
// atomic increment; drain_into() moves the counts out, so each sample lands in
// exactly one interval.
class histogram {
 public:
  static constexpr unsigned linear_bits = 7;
  static constexpr size_t half = size_t{1} << (linear_bits - 1);
  static constexpr size_t bucket_count = (64 - linear_bits + 2) * half;  // covers every uint64_t

  static size_t index_of(uint64_t v) {
    if (v < (uint64_t{1} << linear_bits)) return static_cast<size_t>(v);
    const auto e = static_cast<unsigned>(std::bit_width(v)) - linear_bits;
    return e * half + static_cast<size_t>(v >> e);
  }
  // The middle of bucket i.
  static uint64_t value_of(size_t i) {
    if (i < (size_t{1} << linear_bits)) return i;
    const auto e = static_cast<unsigned>(i / half) - 1;
    return (uint64_t{i - e * half} << e) + ((uint64_t{1} << e) - 1) / 2;
  }

  void record(uint64_t v) { counts_[index_of(v)].fetch_add(1, std::memory_order_relaxed); }
  void drain_into(histogram_snapshot& s);

 private:
  std::array<std::atomic<uint64_t>, bucket_count> counts_{};
};

struct histogram_snapshot {
  std::vector<uint64_t> counts = std::vector<uint64_t>(histogram::bucket_count);

  void merge(const histogram_snapshot& o) {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
  }
  // The q-quantile (0 < q <= 1); 0 when empty.
  uint64_t percentile(double q) const {
    uint64_t n = 0;
    for (auto c : counts) n += c;
    if (n == 0) return 0;
    const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(n))));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      if ((seen += counts[i]) >= rank) return histogram::value_of(i);
    }
    return 0;  // unreachable: seen ends at n >= rank
  }
};

void histogram::drain_into(histogram_snapshot& s) {
  for (size_t i = 0; i < bucket_count; ++i) {
    if (counts_[i].load(std::memory_order_relaxed) != 0) {
      s.counts[i] += counts_[i].exchange(0, std::memory_order_relaxed);
    }
  }
}

// ---- small helpers ----------------------------------------------------------------

int64_t now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}
int64_t now_ms() { return now_ns() / 1'000'000; }

// An extField value: text, or an integer written in decimal.
struct field_value {
  std::string text;
  field_value(std::string s) : text(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  field_value(const char* s) : text(s) {}             // NOLINT(google-explicit-constructor)
  field_value(std::integral auto v) : text(std::to_string(v)) {}  // NOLINT(google-explicit-constructor)
};

using field_list = std::initializer_list<std::pair<const char*, field_value>>;

remoting_command make_request(int32_t code, field_list fields) {
  auto req = remoting_command::request(code);
  for (const auto& [k, v] : fields) req.set(k, v.text);
  return req;
}

std::string describe(const invoke_result& r) {
  if (!r.ok()) return std::string(remoting::to_string(r.error)) + (r.message.empty() ? "" : ": " + r.message);
  return "code " + std::to_string(r.response.code) + " " + r.response.remark.value_or("");
}

// True for the first 5 occurrences, then every 1000th: rate-limited warnings.
bool should_log(std::atomic<int64_t>& counter) {
  const int64_t k = ++counter;
  return k <= 5 || k % 1000 == 0;
}

// A sync call: the response (whatever its code), or the transport error.
result<remoting_command> call(remoting_client& client, const std::string& addr, remoting_command req) {
  auto r = client.invoke_sync(addr, std::move(req), admin_timeout);
  if (!r.ok()) return status::error(errc::io_error, addr + ": " + describe(r));
  return std::move(r.response);
}

status code_error(const std::string& what, const remoting_command& resp) {
  return status::error(errc::io_error,
                       what + ": code " + std::to_string(resp.code) + " " + resp.remark.value_or(""));
}

// The value of `key` in a properties string (§4.3) without building a map.
std::optional<std::string_view> find_property(std::string_view props, std::string_view key) {
  while (!props.empty()) {
    const auto end = std::min(props.find(property_separator), props.size());
    const auto seg = props.substr(0, end);
    if (seg.size() > key.size() && seg.starts_with(key) && seg[key.size()] == name_value_separator) {
      return seg.substr(key.size() + 1);
    }
    props.remove_prefix(std::min(end + 1, props.size()));
  }
  return std::nullopt;
}

// ---- scheduler ------------------------------------------------------------------

// Runs delayed tasks (re-arming a lane after an error, periodic offset
// commits) on its own thread, so io-thread callbacks neither sleep nor
// recurse. Tasks must not block. Thread-safe; stop() drops pending tasks.
class scheduler {
 public:
  scheduler() : thread_([this](std::stop_token st) { run(st); }) {}
  ~scheduler() { stop(); }

  void after(std::chrono::milliseconds delay, std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      tasks_.emplace(steady::now() + delay, std::move(fn));
    }
    cv_.notify_one();
  }

  void stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    tasks_.clear();
  }

 private:
  void run(const std::stop_token& st) {
    std::unique_lock lock(mu_);
    while (!st.stop_requested()) {
      if (tasks_.empty()) {
        cv_.wait(lock, st, [&] { return !tasks_.empty(); });
        continue;
      }
      const auto next = tasks_.begin()->first;
      if (steady::now() < next) {  // wake early only for an earlier task
        cv_.wait_until(lock, st, next, [&] { return tasks_.begin()->first < next; });
        continue;
      }
      auto fn = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::multimap<steady::time_point, std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  std::jthread thread_;                                              // last: starts after the rest
};

// ---- routes and topic creation ------------------------------------------------------

struct message_queue {
  std::string broker_name;
  std::string addr;  // the master's "ip:port"
  int32_t queue_id = 0;
};

struct topic_route {
  std::vector<message_queue> write_queues, read_queues;
  size_t brokers = 0;
};

// Name server look-ups and topic creation; synchronous, main thread only.
class admin_client {
 public:
  explicit admin_client(std::vector<std::string> namesrvs)
      : client_({.io_threads = 1, .connect_timeout = admin_timeout, .name = "mqbench-admin"}),
        namesrvs_(std::move(namesrvs)) {}

  // The answer of the first name server that answers (whatever its code).
  result<remoting_command> namesrv_call(const remoting_command& req) {
    std::string errors;
    for (const auto& addr : namesrvs_) {
      auto r = call(client_, addr, req);
      if (r) return r;
      errors += (errors.empty() ? "" : "; ") + r.error().message;
    }
    return status::error(errc::io_error, "cannot reach name server " + errors);
  }

  // errc::not_found when the name server knows no route for the topic.
  result<topic_route> fetch_route(const std::string& topic) {
    auto r = namesrv_call(make_request(req_code::GET_ROUTEINFO_BY_TOPIC, {{"topic", topic}}));
    if (!r) return r.error();
    if (r->code == resp_code::TOPIC_NOT_EXIST) return status::error(errc::not_found, "no route for " + topic);
    if (r->code != resp_code::SUCCESS) return code_error("GET_ROUTEINFO_BY_TOPIC", *r);
    try {
      return parse_route(r->body);
    } catch (const std::exception& e) {  // nlohmann type errors in a malformed body
      return status::error(errc::corrupt, std::string("bad route JSON: ") + e.what());
    }
  }

  // UPDATE_AND_CREATE_TOPIC on every master the name server knows.
  status create_topic(const std::string& topic, int32_t queues) {
    auto r = namesrv_call(remoting_command::request(req_code::GET_BROKER_CLUSTER_INFO));
    if (!r) return r.error();
    if (r->code != resp_code::SUCCESS) return code_error("GET_BROKER_CLUSTER_INFO", *r);
    std::vector<std::string> masters;
    auto j = remoting::parse_lenient(r->body);
    if (j && j->is_object() && j->contains("brokerAddrTable") && (*j)["brokerAddrTable"].is_object()) {
      for (const auto& [name, bd] : (*j)["brokerAddrTable"].items()) {
        if (auto addr = master_of(bd)) masters.push_back(*addr);
      }
    }
    if (masters.empty()) return status::error(errc::not_found, "no broker master known to the name server");
    for (const auto& addr : masters) {
      auto req = make_request(req_code::UPDATE_AND_CREATE_TOPIC,
                              {{"topic", topic}, {"defaultTopic", default_topic}, {"readQueueNums", queues},
                               {"writeQueueNums", queues}, {"perm", 6}, {"topicSysFlag", 0},
                               {"topicFilterType", "SINGLE_TAG"}, {"order", "false"}});
      auto c = call(client_, addr, std::move(req));
      if (!c) return c.error();
      if (c->code != resp_code::SUCCESS) return code_error("UPDATE_AND_CREATE_TOPIC on " + addr, *c);
      spdlog::info("created topic {} with {} queues on {}", topic, queues, addr);
    }
    return status::success();
  }

 private:
  // brokerAddrs["0"] of a BrokerData object.
  static std::optional<std::string> master_of(const nlohmann::json& bd) {
    if (!bd.is_object() || !bd.contains("brokerAddrs")) return std::nullopt;
    const auto& addrs = bd["brokerAddrs"];
    if (!addrs.is_object() || !addrs.contains("0") || !addrs["0"].is_string()) return std::nullopt;
    return addrs["0"].get<std::string>();
  }

  static result<topic_route> parse_route(const std::string& body) {
    auto j = remoting::parse_lenient(body);
    if (!j || !j->is_object()) return status::error(errc::corrupt, "route body is not JSON: " + body);
    std::map<std::string, std::string> masters;
    if (j->contains("brokerDatas") && (*j)["brokerDatas"].is_array()) {
      for (const auto& bd : (*j)["brokerDatas"]) {
        if (auto addr = master_of(bd)) masters[bd.value("brokerName", "")] = *addr;
      }
    }
    topic_route route;
    if (j->contains("queueDatas") && (*j)["queueDatas"].is_array()) {
      for (const auto& qd : (*j)["queueDatas"]) {
        auto it = masters.find(qd.value("brokerName", ""));
        if (it == masters.end()) continue;  // no master: neither writable nor (for us) readable
        ++route.brokers;
        const int perm = qd.value("perm", 6);
        for (int32_t q = 0; (perm & 2) && q < qd.value("writeQueueNums", 0); ++q) {
          route.write_queues.push_back({it->first, it->second, q});
        }
        for (int32_t q = 0; (perm & 4) && q < qd.value("readQueueNums", 0); ++q) {
          route.read_queues.push_back({it->first, it->second, q});
        }
      }
    }
    // Queue id first, so that round-robin alternates between brokers.
    auto order = [](const message_queue& a, const message_queue& b) {
      return std::tie(a.queue_id, a.broker_name) < std::tie(b.queue_id, b.broker_name);
    };
    std::sort(route.write_queues.begin(), route.write_queues.end(), order);
    std::sort(route.read_queues.begin(), route.read_queues.end(), order);
    return route;
  }

  remoting_client client_;
  std::vector<std::string> namesrvs_;
};

// The topic's route; with --create, the topic is created first if it is missing.
result<topic_route> resolve_route(admin_client& admin, const bench_options& o) {
  auto r = admin.fetch_route(o.topic);
  if (r || r.error().code != errc::not_found) return r;
  if (!o.create) return status::error(errc::not_found, "topic " + o.topic + " does not exist (add --create)");
  if (auto s = admin.create_topic(o.topic, o.queues); !s.ok()) return s;
  // The broker registers the new topic with the name servers at once; wait for it.
  for (const auto limit = steady::now() + 15s; steady::now() < limit; std::this_thread::sleep_for(200ms)) {
    r = admin.fetch_route(o.topic);
    if (r || r.error().code != errc::not_found) return r;
  }
  return status::error(errc::timeout, "topic " + o.topic + " created, but no route appeared within 15 s");
}

// ---- producer -------------------------------------------------------------------

struct send_stats {
  std::atomic<int64_t> acked{0};   // messages stored: codes 0, 10, 11, 12
  std::atomic<int64_t> failed{0};  // any other code, or a transport error
  histogram latency_us;            // per successful request
};

// C connections x I lanes; a lane is one send in flight, re-issued from its
// response callback. Thread-safe.
class producer {
 public:
  producer(const bench_options& o, std::vector<message_queue> queues, scheduler& sched, std::string run_id)
      : opts_(o), queues_(std::move(queues)), sched_(sched), run_id_(std::move(run_id)) {
    static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::mt19937_64 rng(std::random_device{}());
    body_.resize(o.message_size);
    for (auto& c : body_) c = alphabet[rng() % alphabet.size()];
    remaining_ = o.count.value_or(INT64_MAX);
    // All C connections share two io threads (one client, one slot per
    // connection): a thread per connection would make the load generator's
    // own context switches the figure on a 2-core machine.
    clients_.push_back(std::make_unique<remoting_client>(
        remoting::client_options{.io_threads = 2, .name = "mqbench-p"}));
  }
  ~producer() { shutdown(); }

  void start() {
    const size_t lanes = opts_.connections * opts_.in_flight;
    active_lanes_ = lanes;
    for (size_t lane = 0; lane < lanes; ++lane) issue(lane % opts_.connections);
  }
  // No new sends; those in flight complete or time out.
  void stop() { stopping_ = true; }
  // Every lane has ended (stopped, or --count reached) and nothing is in flight.
  bool idle() const { return active_lanes_ == 0; }
  void shutdown() {
    stopping_ = true;
    for (auto& c : clients_) c->shutdown();
  }
  send_stats& stats() { return stats_; }

 private:
  // Messages for the next request: --batch, fewer at the end of --count.
  int64_t claim() {
    const auto want = static_cast<int64_t>(opts_.batch);
    const int64_t before = remaining_.fetch_sub(want);
    return before <= 0 ? 0 : std::min(want, before);
  }

  std::map<std::string, std::string> message_properties() {
    std::map<std::string, std::string> p{{std::string(property_uniq_client_message_id_keyidx), ids_.next()}};
    if (!run_id_.empty()) {
      p[std::string(bench_run_key)] = run_id_;
      p[std::string(bench_ts_key)] = std::to_string(now_ns());
    }
    return p;
  }

  remoting_command build(const message_queue& q, int64_t n) {
    const bool batch = opts_.batch > 1;
    auto req = make_request(batch ? req_code::SEND_BATCH_MESSAGE : req_code::SEND_MESSAGE_V2,
                            {{"a", opts_.group}, {"b", opts_.topic}, {"c", default_topic}, {"d", 4},
                             {"e", q.queue_id}, {"f", 0}, {"g", now_ms()}, {"h", 0}, {"j", 0}, {"k", "false"},
                             {"m", batch ? "true" : "false"}});
    const std::pair<std::string, std::string> wait{property_wait_store_msg_ok, "true"};
    if (!batch) {
      auto p = message_properties();
      p.insert(wait);
      req.set("i", encode_properties(p));
      req.body = body_;
      return req;
    }
    // Each inner message has its own UNIQ_KEY; WAIT is batch-level (§4.7).
    std::vector<message> msgs(static_cast<size_t>(n));
    for (auto& m : msgs) {
      m.body = body_;
      m.properties = message_properties();
    }
    auto body = encode_batch(msgs);
    if (!body) {  // cannot happen: parse_options bounds SIZE x N and the properties are short
      spdlog::critical("encode_batch: {}", body.error().message);
      std::abort();
    }
    req.set("i", encode_properties({wait}));
    req.body = std::move(*body);
    return req;
  }

  // One send on connection `conn`; its callback issues the next.
  void issue(size_t conn) {
    const int64_t n = stopping_ ? 0 : claim();
    if (n == 0) {
      --active_lanes_;
      return;
    }
    const auto& q = queues_[next_queue_.fetch_add(1, std::memory_order_relaxed) % queues_.size()];
    const auto t0 = steady::now();
    auto ch = clients_[0]->get_channel(q.addr, conn);
    auto cb = [this, conn, t0, n](invoke_result r) { on_response(conn, t0, n, r); };
    if (!ch) {
      cb(invoke_result{remoting::errc::shutting_down, "client is shut down", {}});
      return;
    }
    ch->invoke_async(build(q, n), send_timeout, std::move(cb));
  }

  void on_response(size_t conn, steady::time_point t0, int64_t n, const invoke_result& r) {
    const int32_t code = r.ok() ? r.response.code : -1;
    if (code == resp_code::SUCCESS || code == resp_code::FLUSH_DISK_TIMEOUT ||
        code == resp_code::SLAVE_NOT_AVAILABLE || code == resp_code::FLUSH_SLAVE_TIMEOUT) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t0).count();
      stats_.latency_us.record(static_cast<uint64_t>(us));
      stats_.acked += n;
      issue(conn);
      return;
    }
    stats_.failed += n;
    if (should_log(errors_) && r.error != remoting::errc::shutting_down) {
      spdlog::warn("send failed ({} so far): {}", errors_.load(), describe(r));
    }
    // Never inline after an error: this callback may be running inside invoke_async.
    sched_.after(send_retry_delay, [this, conn] { issue(conn); });
  }

  const bench_options& opts_;
  const std::vector<message_queue> queues_;
  scheduler& sched_;
  const std::string run_id_;  // e2e: tag messages with BENCH_RUN / BENCH_TS
  std::string body_;
  unique_id_generator ids_;
  std::vector<std::unique_ptr<remoting_client>> clients_;
  std::atomic<uint64_t> next_queue_{0};
  std::atomic<int64_t> remaining_{0};
  std::atomic<size_t> active_lanes_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> errors_{0};
  send_stats stats_;
};

// ---- consumer -------------------------------------------------------------------

struct consume_stats {
  std::atomic<int64_t> received{0};  // messages (e2e: only this run's)
  std::atomic<int64_t> bytes{0};     // their body bytes
  histogram e2e_us;                  // e2e: receive time - BENCH_TS
};

enum class start_position { committed_or_max, max };

// One long-polling pull in flight per read queue. Thread-safe.
class consumer {
 public:
  consumer(const bench_options& o, const std::vector<message_queue>& queues, scheduler& sched,
           std::string run_id)
      : opts_(o), sched_(sched), run_id_(std::move(run_id)), client_({.io_threads = 1, .name = "mqbench-c"}) {
    for (const auto& q : queues) queues_.push_back(std::make_unique<queue_state>(q));
  }
  ~consumer() { shutdown(); }

  // Sets every queue's start offset; sync, before start().
  status init_offsets(start_position pos) {
    for (auto& q : queues_) {
      if (pos == start_position::committed_or_max) {
        auto r = call(client_, q->mq.addr,
                      make_request(req_code::QUERY_CONSUMER_OFFSET,
                                   {{"consumerGroup", opts_.group}, {"topic", opts_.topic},
                                    {"queueId", q->mq.queue_id}}));
        if (!r) return r.error();
        if (auto off = r->field_int("offset"); r->code == resp_code::SUCCESS && off && *off >= 0) {
          q->next_offset = *off;
          continue;
        }
      }
      auto max = max_offset(q->mq);
      if (!max) return max.error();
      q->next_offset = *max;
    }
    return status::success();
  }

  void start() {
    for (size_t i = 0; i < queues_.size(); ++i) pull(i);
    sched_.after(commit_interval, [this] { periodic_commit(); });
  }
  // No new pulls; those parked at the broker are dropped by shutdown().
  void stop() { stopping_ = true; }
  void shutdown() {
    stopping_ = true;
    client_.shutdown();
  }

  void commit_offsets_sync() {
    for (auto& q : queues_) {
      auto r = call(client_, q->mq.addr, commit_request(*q));
      if (!r || r->code != resp_code::SUCCESS) {
        spdlog::warn("queue {}: {}", q->mq.queue_id,
                     r ? code_error("UPDATE_CONSUMER_OFFSET", *r).message : r.error().message);
      }
    }
  }

  // Sum over queues of (max offset - next offset to consume); nullopt if a query failed.
  std::optional<int64_t> lag_sync() {
    int64_t lag = 0;
    for (auto& q : queues_) {
      auto max = max_offset(q->mq);
      if (!max) {
        spdlog::warn("{}", max.error().message);
        return std::nullopt;
      }
      lag += std::max<int64_t>(0, *max - q->next_offset);
    }
    return lag;
  }

  consume_stats& stats() { return stats_; }

 private:
  struct queue_state {
    explicit queue_state(message_queue q) : mq(std::move(q)) {}
    const message_queue mq;
    std::atomic<int64_t> next_offset{0};  // written by this queue's (single) pull callback
  };

  result<int64_t> max_offset(const message_queue& q) {
    auto r = call(client_, q.addr,
                  make_request(req_code::GET_MAX_OFFSET, {{"topic", opts_.topic}, {"queueId", q.queue_id}}));
    if (!r) return r.error();
    auto off = r->field_int("offset");
    if (r->code != resp_code::SUCCESS || !off) {
      return code_error(fmt::format("GET_MAX_OFFSET {}:{} on {}", opts_.topic, q.queue_id, q.addr), *r);
    }
    return *off;
  }

  remoting_command commit_request(const queue_state& q) const {
    return make_request(req_code::UPDATE_CONSUMER_OFFSET,
                        {{"consumerGroup", opts_.group}, {"topic", opts_.topic}, {"queueId", q.mq.queue_id},
                         {"commitOffset", q.next_offset.load()}});
  }

  void periodic_commit() {
    if (stopping_) return;
    for (auto& q : queues_) client_.invoke_oneway(q->mq.addr, commit_request(*q));  // as Java does
    sched_.after(commit_interval, [this] { periodic_commit(); });
  }

  void pull(size_t i) {
    if (stopping_) return;
    auto& q = *queues_[i];
    auto req = make_request(req_code::PULL_MESSAGE,
                            {{"consumerGroup", opts_.group}, {"topic", opts_.topic},
                             {"queueId", q.mq.queue_id}, {"queueOffset", q.next_offset.load()},
                             {"maxMsgNums", pull_batch},
                             {"sysFlag", 0x2 | 0x4},  // SUSPEND | SUBSCRIPTION
                             {"commitOffset", 0}, {"suspendTimeoutMillis", 15000}, {"subscription", "*"},
                             {"subVersion", 0}, {"expressionType", "TAG"}});
    const auto t0 = steady::now();
    client_.invoke_async(q.mq.addr, std::move(req), pull_timeout,
                         [this, i, t0](invoke_result r) { on_pull(i, t0, r); });
  }

  void on_pull(size_t i, steady::time_point t0, const invoke_result& r) {
    if (stopping_) return;
    auto& q = *queues_[i];
    const int32_t code = r.ok() ? r.response.code : -1;
    const auto next = r.response.field_int("nextBeginOffset");
    if (code == resp_code::SUCCESS) {
      const auto after_last = count(r.response.body);
      if (!after_last && should_log(errors_)) spdlog::warn("queue {}: undecodable pull body", q.mq.queue_id);
      if (!next && !after_last) {  // no way forward: do not spin on the same offset
        sched_.after(pull_retry_delay, [this, i] { pull(i); });
        return;
      }
      q.next_offset = next ? *next : *after_last;
      pull(i);
      return;
    }
    if (next && (code == resp_code::PULL_NOT_FOUND || code == resp_code::PULL_RETRY_IMMEDIATELY ||
                 code == resp_code::PULL_OFFSET_MOVED)) {
      if (code == resp_code::PULL_OFFSET_MOVED && should_log(errors_)) {
        spdlog::warn("queue {}: offset {} moved to {}", q.mq.queue_id, q.next_offset.load(), *next);
      }
      q.next_offset = *next;
      // A broker that answers "nothing new" at once (no long polling) must not make us spin.
      if (code == resp_code::PULL_NOT_FOUND && steady::now() - t0 < 5ms) {
        sched_.after(10ms, [this, i] { pull(i); });
      } else {
        pull(i);
      }
      return;
    }
    if (should_log(errors_)) spdlog::warn("pull queue {} on {}: {}", q.mq.queue_id, q.mq.addr, describe(r));
    sched_.after(pull_retry_delay, [this, i] { pull(i); });
  }

  // Counts the records of a PULL body (§4.9); the queue offset after the
  // last one, or nullopt if the body does not parse (what parsed counts).
  std::optional<int64_t> count(std::string_view body) {
    const int64_t now = now_ns();
    int64_t n = 0, bytes = 0;
    std::optional<int64_t> after_last;
    while (!body.empty()) {
      auto v = parse_record_view(body);
      if (!v || v->is_blank() || v->total_size <= 0) {
        after_last.reset();
        break;
      }
      body.remove_prefix(static_cast<size_t>(v->total_size));
      after_last = v->queue_offset + 1;
      if (!run_id_.empty()) {
        if (find_property(v->properties, bench_run_key) != run_id_) continue;
        int64_t sent = 0;
        const auto ts = find_property(v->properties, bench_ts_key).value_or("");
        if (std::from_chars(ts.data(), ts.data() + ts.size(), sent).ec == std::errc{} && now >= sent) {
          stats_.e2e_us.record(static_cast<uint64_t>((now - sent) / 1000));
        }
      }
      ++n;
      bytes += static_cast<int64_t>(v->body.size());
    }
    stats_.bytes += bytes;
    stats_.received += n;
    return after_last;
  }

  const bench_options& opts_;
  scheduler& sched_;
  const std::string run_id_;  // e2e: count only messages with BENCH_RUN == run_id_
  remoting_client client_;
  std::vector<std::unique_ptr<queue_state>> queues_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> errors_{0};
  consume_stats stats_;
};

// ---- reporting and the run ------------------------------------------------------

// Prints a line per second (from the main thread) and keeps the run's histograms.
class reporter {
 public:
  reporter(producer* p, consumer* c) : prod_(p), cons_(c) {}

  // Ticks every second until done() or `limit`, or SIGINT when `interruptible`;
  // true when done() held.
  bool run_until(const std::function<bool()>& done, steady::time_point limit, bool interruptible = true) {
    while (!done()) {
      const auto now = steady::now();
      if (now >= limit || (interruptible && g_interrupted)) return false;
      if (now - last_ >= 1s) tick(now);
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  // Moves what is left in the live histograms into the totals.
  void finish() {
    histogram_snapshot s, e;
    if (prod_) prod_->stats().latency_us.drain_into(s);
    if (cons_) cons_->stats().e2e_us.drain_into(e);
    send_total_.merge(s);
    e2e_total_.merge(e);
  }

  const steady::time_point start = steady::now();
  const histogram_snapshot& send_total() const { return send_total_; }
  const histogram_snapshot& e2e_total() const { return e2e_total_; }

 private:
  void tick(steady::time_point now) {
    const double secs = std::chrono::duration<double>(now - last_).count();
    std::string line = fmt::format("[{:5.0f}s]", std::chrono::duration<double>(now - start).count());
    if (prod_) {
      histogram_snapshot s;
      prod_->stats().latency_us.drain_into(s);
      send_total_.merge(s);
      const int64_t acked = prod_->stats().acked, failed = prod_->stats().failed;
      line += fmt::format(" sent/s {:8.0f}  failed {}  p50 {}us  p99 {}us",
                          static_cast<double>(acked - last_acked_) / secs, failed - last_failed_,
                          s.percentile(0.50), s.percentile(0.99));
      last_acked_ = acked;
      last_failed_ = failed;
    }
    if (cons_) {
      histogram_snapshot e;
      cons_->stats().e2e_us.drain_into(e);
      e2e_total_.merge(e);
      const int64_t received = cons_->stats().received;
      line += fmt::format("{}received/s {:8.0f}", prod_ ? "  |  " : " ",
                          static_cast<double>(received - last_received_) / secs);
      if (prod_) line += fmt::format("  e2e p50 {}us  p99 {}us", e.percentile(0.50), e.percentile(0.99));
      last_received_ = received;
    }
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    last_ = now;
  }

  producer* prod_;
  consumer* cons_;
  steady::time_point last_ = start;
  int64_t last_acked_ = 0, last_failed_ = 0, last_received_ = 0;
  histogram_snapshot send_total_, e2e_total_;
};

int run(const bench_options& o) {
  admin_client admin(o.namesrv_addrs);
  auto route = resolve_route(admin, o);
  if (!route) {
    spdlog::error("{}", route.error().message);
    return 1;
  }
  const bool producing = o.mode != bench_mode::consume, consuming = o.mode != bench_mode::produce;
  for (const auto& [needed, queues, what] : {std::tuple(producing, &route->write_queues, "writable"),
                                              std::tuple(consuming, &route->read_queues, "readable")}) {
    if (needed && queues->empty()) {
      spdlog::error("topic {} has no {} queue on a broker master", o.topic, what);
      return 1;
    }
  }
  std::printf("mqbench %s: topic %s, %zu write / %zu read queues on %zu broker(s), %zu B messages",
              mode_name(o.mode), o.topic.c_str(), route->write_queues.size(), route->read_queues.size(),
              route->brokers, o.message_size);
  if (producing) std::printf(", %zu connections x %zu in flight, batch %zu", o.connections,
                             o.in_flight, o.batch);
  std::printf("\n");
  std::fflush(stdout);

  std::string run_id;
  if (o.mode == bench_mode::e2e) run_id = fmt::format("{:016X}", std::mt19937_64(std::random_device{}())());
  scheduler sched;
  std::unique_ptr<consumer> cons;
  std::unique_ptr<producer> prod;
  if (consuming) {
    cons = std::make_unique<consumer>(o, route->read_queues, sched, run_id);
    // e2e counts only new messages; consume resumes the group (Java CONSUME_FROM_LAST_OFFSET).
    auto s = cons->init_offsets(producing ? start_position::max : start_position::committed_or_max);
    if (!s.ok()) {
      spdlog::error("cannot read consumer offsets: {}", s.message);
      return 1;
    }
  }
  if (producing) prod = std::make_unique<producer>(o, route->write_queues, sched, run_id);

  // Phase 1: the measured run.
  reporter rep(prod.get(), cons.get());
  const auto limit = o.count ? steady::time_point::max() : rep.start + o.duration;
  if (cons) cons->start();
  if (prod) {
    prod->start();
    rep.run_until([&] { return prod->idle(); }, limit);
    prod->stop();
    rep.run_until([&] { return prod->idle(); }, steady::now() + send_timeout + 2s, false);
  } else {
    rep.run_until([&] { return o.count && cons->stats().received >= *o.count; }, limit);
  }
  const double elapsed = std::chrono::duration<double>(steady::now() - rep.start).count();

  // Phase 2 (e2e): every acknowledged message must arrive.
  int64_t missing = 0;
  if (prod && cons) {
    const int64_t acked = prod->stats().acked;
    rep.run_until([&] { return cons->stats().received >= acked; }, steady::now() + e2e_drain_timeout);
    missing = std::max<int64_t>(0, acked - cons->stats().received);
  }
  std::optional<int64_t> lag;
  if (cons) {
    cons->stop();
    cons->commit_offsets_sync();
    lag = cons->lag_sync();
  }
  rep.finish();

  auto summary = fmt::format("SUMMARY mode={}", mode_name(o.mode));
  auto rates = [&](int64_t msgs, int64_t bytes) {
    summary += fmt::format(" msgs={} elapsed_s={:.2f} msg_per_s={:.0f} mb_per_s={:.2f}", msgs, elapsed,
                           static_cast<double>(msgs) / elapsed, static_cast<double>(bytes) / 1e6 / elapsed);
  };
  int rc = 0;
  if (prod) {
    const int64_t acked = prod->stats().acked, failed = prod->stats().failed;
    const auto& h = rep.send_total();
    rates(acked, acked * static_cast<int64_t>(o.message_size));
    summary += fmt::format(" failed={} send_p50_us={} send_p99_us={} send_p999_us={}", failed,
                           h.percentile(0.50), h.percentile(0.99), h.percentile(0.999));
    if (failed > 0) rc = 1;
  }
  if (cons && prod) {
    const auto& e = rep.e2e_total();
    summary += fmt::format(" received={} missing={} e2e_p50_us={} e2e_p99_us={}",
                           cons->stats().received.load(), missing, e.percentile(0.50), e.percentile(0.99));
    if (missing > 0) rc = 1;
  } else if (cons) {
    rates(cons->stats().received, cons->stats().bytes);
  }
  if (cons) summary += lag ? fmt::format(" lag={}", *lag) : std::string(" lag=unknown");
  if (g_interrupted) summary += " interrupted=true";

  // Tear down: the clients first (joins their io threads; parked pulls fail
  // with shutting_down), then the scheduler, then what they call into.
  if (prod) prod->shutdown();
  if (cons) cons->shutdown();
  sched.stop();
  if (missing > 0) spdlog::error("{} acknowledged messages not consumed within 30 s", missing);
  std::printf("%s\n", summary.c_str());
  std::fflush(stdout);
  return rc;
}

}  // namespace
}  // namespace mq::tools

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("mqbench");
  logger->set_pattern("mqbench: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  // The remoting library's own logger: its warnings (refused connection,
  // malformed frame) reappear in our one-line errors.
  auto remoting_logger = spdlog::stderr_color_mt("remoting");
  remoting_logger->set_pattern("mqbench: remoting: %^%l%$: %v");
  remoting_logger->set_level(spdlog::level::err);

  const std::vector<std::string> args(argv + 1, argv + argc);
  std::string err;
  bool help = false;
  auto opts = mq::tools::parse_options(args, &err, &help);
  if (help) {
    mq::tools::usage(stdout);
    return 0;
  }
  if (!opts) {
    std::fprintf(stderr, "mqbench: %s\n", err.c_str());
    mq::tools::usage(stderr);
    return 2;
  }
  std::signal(SIGINT, mq::tools::on_signal);
  std::signal(SIGTERM, mq::tools::on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  return mq::tools::run(*opts);
}
