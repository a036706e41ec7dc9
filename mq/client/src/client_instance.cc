#include "client_instance.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "log.h"
#include "mq/common/message_id.h"
#include "mq/remoting/json.h"

namespace mq::client {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;

std::string message_queue::to_string() const {
  return "MessageQueue [topic=" + topic + ", brokerName=" + broker_name + ", queueId=" + std::to_string(queue_id) +
         "]";
}

status response_error(const remoting_command& resp, std::string_view what) {
  errc e = errc::io_error;
  if (resp.code == rc::TOPIC_NOT_EXIST || resp.code == rc::QUERY_NOT_FOUND) e = errc::not_found;
  if (resp.code == rc::SYSTEM_BUSY) e = errc::busy;
  return status::error(e, std::string(what) + ": code " + std::to_string(resp.code) +
                              (resp.remark ? ", " + *resp.remark : std::string()));
}

std::vector<std::string> split_addrs(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    auto semi = list.find(';');
    auto item = list.substr(0, semi);
    list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

nlohmann::json to_json(const message_queue& q) {
  return {{"brokerName", q.broker_name}, {"queueId", q.queue_id}, {"topic", q.topic}};
}

std::optional<message_queue> mq_from_json(const nlohmann::json& j) {
  try {
    return message_queue{j.at("topic").get<std::string>(), j.at("brokerName").get<std::string>(),
                         j.at("queueId").get<int32_t>()};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

std::string default_instance_name() {
  static std::atomic<uint64_t> seq{0};
  return std::to_string(::getpid()) + "#" + std::to_string(seq.fetch_add(1) + 1);
}

std::string make_client_id(const client_options& o) {
  std::string ip = o.client_ip;
  if (ip.empty()) {
    auto a = unique_id_generator::local_address().to_string();
    ip = a.substr(0, a.rfind(':'));
  }
  return ip + "@" + (o.instance_name.empty() ? default_instance_name() : o.instance_name);
}

remoting::client_options net_options() {
  remoting::client_options o;
  o.name = "mq-client";
  return o;
}

}  // namespace

client_instance::client_instance(const client_options& opts)
    : opts_(opts),
      client_id_(make_client_id(opts)),
      namesrvs_(split_addrs(opts.namesrv_addr)),
      net_(net_options()),
      timer_("client-timer") {}

client_instance::~client_instance() { shutdown(); }

result<remoting_command> client_instance::call(const std::string& addr, remoting_command req,
                                               std::chrono::milliseconds timeout) {
  if (down_) return status::error(errc::closed, "client is shut down");
  if (addr.empty()) return status::error(errc::not_found, "no broker address");
  req.language = remoting::language_code::CPP;
  auto r = net_.invoke_sync(addr, std::move(req), timeout);
  if (r.ok()) return std::move(r.response);
  errc e = r.error == remoting::errc::timeout ? errc::timeout
           : (r.error == remoting::errc::closed || r.error == remoting::errc::shutting_down) ? errc::closed
                                                                                             : errc::io_error;
  return status::error(e, addr + ": " + remoting::to_string(r.error) + (r.message.empty() ? "" : " " + r.message));
}

result<remoting_command> client_instance::call_namesrv(remoting_command req) {
  if (namesrvs_.empty()) return status::error(errc::invalid_argument, "no name server address configured");
  status last;
  for (size_t n = 0; n < namesrvs_.size(); ++n) {
    size_t i = (namesrv_index_.load() + n) % namesrvs_.size();
    auto r = call(namesrvs_[i], req, opts_.request_timeout);
    if (r) {
      namesrv_index_ = i;
      return r;
    }
    last = r.error();
    if (last.code == errc::closed && down_) break;
  }
  return status::error(last.code, "no name server answered: " + last.message);
}

result<topic_route> client_instance::fetch_route(const std::string& topic) {
  auto r = remoting_command::request(req::GET_ROUTEINFO_BY_TOPIC);
  r.set("topic", topic);
  auto resp = call_namesrv(std::move(r));
  if (!resp) return resp.error();
  if (resp->code != rc::SUCCESS) return response_error(*resp, "route of " + topic);
  auto route = parse_topic_route(resp->body);
  if (!route) return status::error(errc::corrupt, "malformed route of " + topic);
  std::lock_guard lk(mu_);
  auto& slot = routes_[topic];
  if (!(slot == *route)) log()->info("route of {} updated: {} queue data, {} brokers", topic, route->queues.size(),
                                      route->brokers.size());
  slot = *route;
  for (auto& b : route->brokers) brokers_[b.broker_name] = b;
  return *route;
}

result<topic_route> client_instance::route(const std::string& topic) {
  {
    std::lock_guard lk(mu_);
    if (auto it = routes_.find(topic); it != routes_.end()) return it->second;
  }
  return fetch_route(topic);
}

void client_instance::forget_route(const std::string& topic) {
  std::lock_guard lk(mu_);
  routes_.erase(topic);
}

void client_instance::refresh_routes() {
  std::vector<std::string> topics;
  {
    std::lock_guard lk(mu_);
    for (auto& [t, _] : routes_) topics.push_back(t);
  }
  for (auto& t : topics) {
    auto r = fetch_route(t);
    if (!r && r.error().code != errc::closed)
      log()->debug("route refresh of {} failed: {}", t, r.error().message);
  }
}

std::string client_instance::master_addr(const std::string& broker_name) {
  std::lock_guard lk(mu_);
  auto it = brokers_.find(broker_name);
  return it == brokers_.end() ? std::string() : it->second.master_addr();
}

std::string client_instance::addr_of(const std::string& broker_name, int64_t id) {
  std::lock_guard lk(mu_);
  auto it = brokers_.find(broker_name);
  if (it == brokers_.end()) return {};
  auto a = it->second.addrs.find(id);
  return a == it->second.addrs.end() ? std::string() : a->second;
}

std::string client_instance::any_addr(const std::string& broker_name) {
  std::lock_guard lk(mu_);
  auto it = brokers_.find(broker_name);
  return it == brokers_.end() ? std::string() : it->second.any_addr();
}

std::vector<std::string> client_instance::master_addrs() {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  for (auto& [_, b] : brokers_)
    if (auto a = b.master_addr(); !a.empty()) out.push_back(a);
  return out;
}

void client_instance::set_heartbeat_body(std::function<nlohmann::json()> fn) {
  std::lock_guard lk(mu_);
  heartbeat_body_ = std::move(fn);
}

bool client_instance::send_heartbeat() {
  std::function<nlohmann::json()> fn;
  {
    std::lock_guard lk(mu_);
    fn = heartbeat_body_;
  }
  if (!fn) return false;
  auto body = fn();
  body["clientID"] = client_id_;
  std::string text = remoting::to_json(body);
  bool any = false;
  for (auto& addr : master_addrs()) {
    auto r = remoting_command::request(req::HEART_BEAT);
    r.body = text;
    auto resp = call(addr, std::move(r), opts_.request_timeout);
    if (resp && resp->code == rc::SUCCESS) {
      any = true;
    } else if (!down_) {
      log()->warn("heartbeat to {} failed: {}", addr, resp ? response_error(*resp, "heartbeat").message
                                                            : resp.error().message);
    }
  }
  return any;
}

void client_instance::start_background() {
  timer_.post_every(opts_.poll_name_server_interval, [this] {
    refresh_routes();
    return true;
  });
  timer_.post_every(opts_.heartbeat_broker_interval, [this] {
    send_heartbeat();
    return true;
  });
}

void client_instance::unregister(const std::string& producer_group, const std::string& consumer_group) {
  for (auto& addr : master_addrs()) {
    auto r = remoting_command::request(req::UNREGISTER_CLIENT);
    r.set("clientID", client_id_);
    if (!producer_group.empty()) r.set("producerGroup", producer_group);
    if (!consumer_group.empty()) r.set("consumerGroup", consumer_group);
    auto resp = call(addr, std::move(r), opts_.request_timeout);
    if (!resp) log()->debug("unregister from {} failed: {}", addr, resp.error().message);
  }
}

void client_instance::shutdown() {
  if (down_.exchange(true)) return;
  timer_.stop();
  net_.shutdown();
}

}  // namespace mq::client
