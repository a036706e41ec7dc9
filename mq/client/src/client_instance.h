// What every producer and consumer object owns (Java MQClientInstance, one
// per object here rather than one per process): the remoting client, the
// route cache filled from the name servers, the heartbeat to every master
// in those routes, and a timer thread for periodic work.
//
// Thread-safety: all members may be called from any thread except io
// threads (the calls block on the network).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mq/client/client_options.h"
#include "mq/common/result.h"
#include "mq/remoting/client.h"
#include "mq/client/topic_route.h"
#include "timer.h"

namespace mq::client {

using remoting::remoting_command;

// A non-SUCCESS response as a status: io_error (not_found for
// TOPIC_NOT_EXIST / QUERY_NOT_FOUND, busy for SYSTEM_BUSY) with the code
// and remark in the message.
status response_error(const remoting_command& resp, std::string_view what);

class client_instance {
 public:
  explicit client_instance(const client_options& opts);
  ~client_instance();  // shutdown()

  const std::string& client_id() const { return client_id_; }
  const client_options& options() const { return opts_; }
  remoting::remoting_client& net() { return net_; }
  timer_thread& timer() { return timer_; }

  // Transport errors become timeout / closed / io_error; the response (any
  // code) is returned otherwise.
  result<remoting_command> call(const std::string& addr, remoting_command req, std::chrono::milliseconds timeout);
  // To the name servers, starting with the last one that answered and moving
  // on when one cannot be reached.
  result<remoting_command> call_namesrv(remoting_command req);

  // The route of `topic` from a name server; cached on success. not_found
  // when the name server has none.
  result<topic_route> fetch_route(const std::string& topic);
  // Cached, else fetched.
  result<topic_route> route(const std::string& topic);
  void forget_route(const std::string& topic);
  // Refetch every cached topic (failures keep the old route).
  void refresh_routes();
  // From the cached routes; "" when unknown.
  std::string master_addr(const std::string& broker_name);
  // The address of broker `id` of the group, "" when the route has none.
  std::string addr_of(const std::string& broker_name, int64_t id);
  std::string any_addr(const std::string& broker_name);
  std::vector<std::string> master_addrs();

  // The HEART_BEAT body builder (producer or consumer data); heartbeats go
  // to every known master.
  void set_heartbeat_body(std::function<nlohmann::json()> fn);
  // Returns false if no broker accepted it.
  bool send_heartbeat();
  // Periodic route refresh and heartbeat on the timer.
  void start_background();
  // UNREGISTER_CLIENT to every master for the given groups.
  void unregister(const std::string& producer_group, const std::string& consumer_group);

  void shutdown();

 private:
  client_options opts_;
  std::string client_id_;
  std::vector<std::string> namesrvs_;
  std::atomic<size_t> namesrv_index_{0};
  remoting::remoting_client net_;
  timer_thread timer_;

  std::mutex mu_;
  std::map<std::string, topic_route> routes_;  // GUARDED_BY(mu_)
  std::map<std::string, broker_data> brokers_;  // GUARDED_BY(mu_) broker name -> latest data
  std::function<nlohmann::json()> heartbeat_body_;  // GUARDED_BY(mu_)
  std::atomic<bool> down_{false};
};

// Java-compatible JSON helpers for message queues: {"brokerName":..,"queueId":..,"topic":..}.
nlohmann::json to_json(const message_queue& q);
std::optional<message_queue> mq_from_json(const nlohmann::json& j);

// Splits "a;b;c" and trims spaces; empty items dropped.
std::vector<std::string> split_addrs(std::string_view list);

}  // namespace mq::client
