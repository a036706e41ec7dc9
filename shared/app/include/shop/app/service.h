// The common main of a shop service: configuration, fault plan, database
// pool and migrations, HTTP server with the Result envelope, message
// consumers and producers, readiness, ordered graceful shutdown.
//
//   int main(int argc, char** argv) {
//     return shop::app::run_service(argc, argv, {.name = "goods", .schema = "goods", .port = 8081},
//                                   [](shop::app::context& ctx) { ...routes, consumers...; return mq::status{}; });
//   }
//
// Start: read `-c <file>` (service_config: file + SHOP_* environment), the
// fault plan (SHOP_FAULTS), open the pool (db.url, db.schema; retried for up
// to 30 s while PostgreSQL starts), migrate sql.dir/common and
// sql.dir/<schema>, call `setup`, start the HTTP server (http.port,
// http.bind) and then the consumers (mq.namesrv; retried in the background
// while the broker is away). Stop on SIGTERM/SIGINT: HTTP first (in-flight
// requests finish), then consumers (offsets persisted), then the stop hooks
// (outbox relays, producers), then the pool.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mq/client/producer.h"
#include "mq/client/push_consumer.h"
#include "shop/common/fault_plan.h"
#include "shop/common/ids.h"
#include "shop/common/service_config.h"
#include "shop/db/pool.h"
#include "shop/http.h"

namespace shop::app {

struct service_info {
  std::string name;    // logger, metrics and config name
  std::string schema;  // default db.schema
  uint16_t port = 0;   // default http.port
};

class context {
 public:
  std::string name;
  service_config& cfg;
  db::pool& db;
  const fault_plan& faults;
  http::router& routes;
  id_worker& ids;
  std::string namesrv;  // mq.namesrv

  context(std::string n, service_config& c, db::pool& d, const fault_plan& f, http::router& r, id_worker& i,
          std::string ns)
      : name(std::move(n)), cfg(c), db(d), faults(f), routes(r), ids(i), namesrv(std::move(ns)) {}

  // A push consumer started after the HTTP server and shut down before the
  // stop hooks. namesrv_addr is filled in; the caller subscribes and
  // registers the listener. A new group starts from the first offset.
  mq::client::push_consumer& add_consumer(mq::client::consumer_options o);
  // A started producer (namesrv filled in), shut down after the stop hooks.
  mq::client::producer& add_producer(mq::client::producer_options o);
  // The same for a transactional producer; `listener` must outlive the service.
  mq::client::transaction_producer& add_transaction_producer(mq::client::transaction_producer_options o,
                                                             mq::client::transaction_listener* listener);
  void on_stop(std::function<void()> fn) { stop_hooks.push_back(std::move(fn)); }
  // A topic this service sends to or consumes: created on the cluster
  // (mq.cluster, mq.topic.queues queues) before the consumers start, unless
  // the name servers already have a route for it, so a consumer that starts
  // before the first send does not wait for its next rebalance.
  void ensure_topic(std::string topic) { topics.push_back(std::move(topic)); }

  std::vector<std::unique_ptr<mq::client::push_consumer>> consumers;
  std::vector<std::string> consumer_groups;  // parallel to consumers
  std::vector<std::unique_ptr<mq::client::producer>> producers;
  std::vector<std::function<void()>> stop_hooks;
  std::vector<std::string> topics;
};

using setup_fn = std::function<mq::status(context&)>;

int run_service(int argc, char** argv, const service_info& info, const setup_fn& setup);

}  // namespace shop::app
