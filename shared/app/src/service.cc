#include "shop/app/service.h"

#include <atomic>
#include <cstdio>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "mq/client/admin.h"
#include "shop/app/api.h"
#include "shop/db/migrate.h"
#include "shop/http.h"

namespace shop::app {

mq::client::push_consumer& context::add_consumer(mq::client::consumer_options o) {
  o.namesrv_addr = namesrv;
  // A group's first start reads its topics from the beginning: the shop's
  // consumers are idempotent, and a message sent before a group first
  // started (a cancel during a fresh deploy) must not be skipped.
  o.from_where = mq::client::consume_from_where::CONSUME_FROM_FIRST_OFFSET;
  consumer_groups.push_back(o.group);
  consumers.push_back(std::make_unique<mq::client::push_consumer>(std::move(o)));
  return *consumers.back();
}

mq::client::producer& context::add_producer(mq::client::producer_options o) {
  o.namesrv_addr = namesrv;
  producers.push_back(std::make_unique<mq::client::producer>(std::move(o)));
  auto st = producers.back()->start();
  if (!st.ok()) spdlog::error("producer {} did not start: {}", producers.back()->options().group, st.message);
  return *producers.back();
}

mq::client::transaction_producer& context::add_transaction_producer(mq::client::transaction_producer_options o,
                                                                    mq::client::transaction_listener* listener) {
  o.namesrv_addr = namesrv;
  auto p = std::make_unique<mq::client::transaction_producer>(std::move(o), listener);
  auto& ref = *p;
  producers.push_back(std::move(p));
  auto st = ref.start();
  if (!st.ok()) spdlog::error("transaction producer {} did not start: {}", ref.options().group, st.message);
  return ref;
}

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  return 2;
}

}  // namespace

int run_service(int argc, char** argv, const service_info& info, const setup_fn& setup) {
  http::block_stop_signals();
  std::string conf_path;
  bool print_routes = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--routes") {
      print_routes = true;
    } else if ((a == "-c" || a == "--config") && i + 1 < argc) {
      conf_path = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::printf(
          "usage: %s [-c service.conf] [--routes]\n(keys may be overridden by SHOP_<KEY> environment variables;\n"
          "--routes prints the HTTP routes and exits without connecting anywhere)\n",
          argv[0]);
      return 0;
    } else {
      return fail("unknown argument '" + a + "' (usage: " + std::string(argv[0]) + " [-c service.conf])");
    }
  }
  if (print_routes) {
    // The routes the service serves (the OpenAPI coverage test compares them
    // with docs/api/<service>.yaml); nothing is opened or started.
    service_config cfg;
    fault_plan none;
    auto ids = id_worker::make(0);
    db::pool db({.url = "", .schema = info.schema, .size = 1});
    http::router routes;
    context ctx(info.name, cfg, db, none, routes, **ids, "");
    spdlog::set_level(spdlog::level::off);
    if (auto st = setup(ctx); !st.ok()) return fail(st.message);
    for (auto& r : routes.routes()) std::printf("%s %s\n", r.method.c_str(), r.pattern.c_str());
    for (const char* b : {"/healthz", "/readyz", "/metrics"}) std::printf("GET %s\n", b);
    return 0;
  }
  auto log = spdlog::stderr_color_mt(info.name);
  spdlog::set_default_logger(log);
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");

  auto cfg = service_config::load(conf_path);
  if (!cfg) return fail(info.name + ": " + cfg.error().message);
  auto faults = fault_plan::from_env();
  if (!faults) return fail(info.name + ": " + faults.error().message);
  auto port = cfg->get_int("http.port", info.port, 0, 65535);
  auto workers = cfg->get_int("http.workers", 16, 1, 1024);
  auto pool_size = cfg->get_int("db.pool", 16, 1, 200);
  auto worker_id = cfg->get_int("id.worker", 0, 0, id_worker::max_worker);
  for (auto* r : {&port, &workers, &pool_size, &worker_id})
    if (!*r) return fail(info.name + ": " + r->error().message);
  std::string url = cfg->get("db.url", "");
  if (url.empty()) return fail(info.name + ": db.url is required");
  std::string schema = cfg->get("db.schema", info.schema);
  std::string sql_dir = cfg->get("sql.dir", "sql");
  std::string namesrv = cfg->get("mq.namesrv", "127.0.0.1:9876");
  std::string bind = cfg->get("http.bind", "127.0.0.1");
  log->info("{} starting with configuration:\n{}", info.name, cfg->dump_masked());
  if (!faults->empty()) log->warn("FAULT PLAN ACTIVE (tests only): {}", faults->describe());

  auto ids = id_worker::make(*worker_id);
  if (!ids) return fail(info.name + ": " + ids.error().message);

  db::pool db({.url = url, .schema = schema, .size = static_cast<size_t>(*pool_size), .application_name = info.name});
  mq::status opened;
  for (int i = 0; i < 60; ++i) {
    opened = db.open();
    if (opened.ok()) break;
    if (i == 0) log->warn("database not reachable yet ({}); retrying for 30 s", opened.message);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (!opened.ok()) return fail(info.name + ": cannot open the database: " + opened.message);
  for (auto dir : {sql_dir + "/common", sql_dir + "/" + schema}) {
    auto m = db::migrate(db, schema, dir);
    if (!m) return fail(info.name + ": " + m.error().message);
  }

  http::router routes;
  context ctx(info.name, *cfg, db, *faults, routes, **ids, namesrv);
  if (auto st = setup(ctx); !st.ok()) return fail(info.name + ": setup failed: " + st.message);

  http::server_options so;
  so.service = info.name;
  so.metrics_prefix = "shop_";
  so.bind_address = bind;
  so.port = static_cast<uint16_t>(*port);
  so.worker_threads = static_cast<size_t>(*workers);
  http::server server(so, std::move(routes));
  server.set_error_body([](int status, const std::string& message) {
    shop_code c = status == 404   ? shop_code::SHOP_NOT_FOUND
                  : status == 405 ? shop_code::SHOP_METHOD_NOT_ALLOWED
                  : status == 413 ? shop_code::SHOP_BODY_TOO_LARGE
                  : status == 503 ? shop_code::SHOP_SERVICE_BUSY
                  : status == 400 || status == 431 ? shop_code::SHOP_REQUEST_PARAMETER_VALID
                                                   : shop_code::SHOP_INTERNAL_ERROR;
    return result_json(c, nullptr, message);
  });
  server.add_ready_check("db", [&db] { return db.ping(); });
  mq::client::client_options ao;
  ao.namesrv_addr = namesrv;
  ao.request_timeout = std::chrono::milliseconds(1000);
  mq::client::admin_client admin(ao);
  (void)admin.start();
  server.add_ready_check("broker", [&admin] {
    auto c = admin.cluster();
    return c && !c->brokers.empty();
  });
  server.metrics().add_gauge("db_pool_connections", "database connections by state", [&db] {
    return std::vector<http::metrics::sample>{{{{"state", "in_use"}}, static_cast<double>(db.in_use())},
                                              {{{"state", "max"}}, static_cast<double>(db.size())}};
  });
  // Consumer lag as the broker sees it (sum over the group's queues), sampled at scrape time.
  server.metrics().add_gauge("consumer_lag", "messages not yet consumed, per consumer group", [&admin, &ctx] {
    std::vector<http::metrics::sample> out;
    for (auto& g : ctx.consumer_groups) {
      auto p = admin.consumer_progress(g);
      if (p) out.push_back({{{"group", g}}, static_cast<double>(p->total_lag())});
    }
    return out;
  });
  std::string err;
  if (!server.start(&err)) return fail(info.name + ": " + err);

  // Consumers: started now, or retried in the background while the broker is away.
  std::atomic<bool> stopping{false};
  std::string cluster = cfg->get("mq.cluster", "DefaultCluster");
  auto topic_queues = cfg->get_int("mq.topic.queues", 4, 1, 1024);
  if (!topic_queues) return fail(info.name + ": " + topic_queues.error().message);
  std::thread starter([&] {
    std::vector<bool> up(ctx.consumers.size(), false);
    std::vector<std::string> missing = ctx.topics;
    while (!stopping) {
      // Topics first (a consumer of a topic without a route would wait for its next rebalance).
      for (auto it = missing.begin(); it != missing.end();) {
        if (admin.route(*it)) {
          it = missing.erase(it);
          continue;
        }
        mq::client::topic_config tc;
        tc.name = *it;
        tc.read_queue_nums = tc.write_queue_nums = static_cast<int32_t>(*topic_queues);
        auto st = admin.create_topic_in_cluster(cluster, tc);
        if (st.ok()) {
          log->info("topic {} created on cluster {} ({} queues)", *it, cluster, *topic_queues);
          it = missing.erase(it);
        } else {
          log->warn("topic {} not created yet: {}", *it, st.message);
          ++it;
        }
      }
      bool all = missing.empty();
      for (size_t i = 0; all && i < ctx.consumers.size(); ++i) {
        if (up[i]) continue;
        auto st = ctx.consumers[i]->start();
        if (st.ok()) {
          up[i] = true;
        } else {
          log->warn("consumer {} not started yet: {}", i, st.message);
          all = false;
        }
      }
      if (all) return;
      for (int k = 0; k < 20 && !stopping; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  int sig = http::wait_for_stop_signal();
  log->info("{} stopping (signal {})", info.name, sig);
  stopping = true;
  server.stop();
  starter.join();
  for (auto& c : ctx.consumers) c->shutdown();
  for (auto it = ctx.stop_hooks.rbegin(); it != ctx.stop_hooks.rend(); ++it) (*it)();
  for (auto& p : ctx.producers) p->shutdown();
  admin.shutdown();
  log->info("{} stopped", info.name);
  return 0;
}

}  // namespace shop::app
