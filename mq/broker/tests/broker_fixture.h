// An in-process name server + broker on loopback with a temporary store,
// and helpers that speak the broker protocol through a remoting_client.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mq/broker/broker_controller.h"
#include "mq/common/message.h"
#include "mq/namesrv/namesrv_controller.h"
#include "mq/remoting/client.h"

namespace mq::broker::test {

using namespace std::chrono_literals;
using remoting::remoting_command;
using conf = std::map<std::string, std::string>;

struct temp_dir {
  std::string path;
  temp_dir();
  ~temp_dir();
};

struct cluster {
  temp_dir dir;
  std::unique_ptr<namesrv::namesrv_controller> ns;
  std::unique_ptr<broker_controller> broker;
  remoting::remoting_client client;

  // `overrides` are broker.conf keys layered over the test defaults.
  explicit cluster(std::map<std::string, std::string> overrides = {});
  ~cluster();

  void start_broker();
  void stop_broker();  // graceful
  void crash_broker(); // halt_for_test
  std::string ns_addr() const;
  std::string broker_addr() const;

  remoting::invoke_result call(remoting_command r, std::chrono::milliseconds timeout = 5s);
  // SEND_MESSAGE_V2; returns the response (code checked by the caller).
  remoting_command send(const std::string& topic, const std::string& body, int32_t queue_id = 0,
                        std::map<std::string, std::string> props = {});
  remoting_command pull(const std::string& group, const std::string& topic, int32_t queue_id, int64_t offset,
                        const std::string& expr = "*", int64_t sys_flag = 0x4, int64_t suspend_ms = 0,
                        std::chrono::milliseconds timeout = 5s);
  remoting_command create_topic(const std::string& topic, int32_t queues = 4, int32_t perm = 6);
  // Decoded records of a pull / query body.
  static std::vector<message_ext> records(const remoting_command& resp);
  std::map<std::string, std::string> overrides_;
};

}  // namespace mq::broker::test
