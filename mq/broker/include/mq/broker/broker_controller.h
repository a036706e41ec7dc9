// The broker process (B/BrokerController.java): the message store, the
// remoting server with the broker's request processors, topic / group /
// offset metadata under <storePathRootDir>/config, long polling, client
// bookkeeping and registration with every name server. `mqbroker`
// (mq/apps) is a thin main around this; tests run it in-process.
//
// Thread-safety: start() and stop() from one thread; everything else is
// driven by the server's executors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mq/broker/broker_config.h"

namespace mq::store {
class message_store;
}

namespace mq::broker {

class broker_controller {
 public:
  explicit broker_controller(broker_config cfg);
  ~broker_controller();  // stop()

  broker_controller(const broker_controller&) = delete;
  broker_controller& operator=(const broker_controller&) = delete;

  // Open (and recover) the store, load the config files, bind the ports,
  // register with the name servers. False + *error on failure.
  bool start(std::string* error);
  // Graceful: stop accepting, answer parked pulls, finish in-flight
  // requests, unregister from the name servers, persist offsets, flush and
  // checkpoint the store, remove the abort file. Idempotent.
  void stop();

  uint16_t port() const;
  // The /metrics HTTP port (metricsExporterType=PROM), 0 when not serving.
  uint16_t metrics_port() const;
  std::string broker_addr() const;
  const broker_config& config() const;
  store::message_store& message_store();
  // Register with every name server now (tests; normally periodic).
  void register_broker_all();
  // Tests: simulate a crash (no unregister, no final flush, abort file kept).
  void halt_for_test();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace mq::broker
