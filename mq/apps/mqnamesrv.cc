// mqnamesrv: the name server process.
//
//   mqnamesrv [-c namesrv.conf] [-p] [key=value ...]
//
// Keys (Java NamesrvConfig / NettyServerConfig names): listenPort (9876),
// kvConfigPath ($HOME/namesrv/kvConfig.json), orderMessageEnable (false),
// serverWorkerThreads (8). -p prints the effective configuration and exits.
// SIGTERM / SIGINT stop it gracefully (mqshutdown namesrv sends SIGTERM).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "mq/common/config.h"
#include "mq/namesrv/namesrv_controller.h"
#include "signals.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: mqnamesrv [-c namesrv.conf] [-p] [-h] [key=value ...]\n"
               "  -c file     read configuration (Java properties) from file\n"
               "  -p          print the effective configuration and exit\n"
               "  key=value   override one configuration key (listenPort, kvConfigPath,\n"
               "              orderMessageEnable, serverWorkerThreads)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cl = mq::parse_command_line(args);
  if (!cl) {
    std::fprintf(stderr, "mqnamesrv: %s\n", cl.error().message.c_str());
    usage(stderr);
    return 2;
  }
  if (cl->help) {
    usage(stdout);
    return 0;
  }
  const char* home = std::getenv("HOME");
  mq::properties_map defaults{
      {"listenPort", "9876"},
      {"kvConfigPath", std::string(home ? home : ".") + "/namesrv/kvConfig.json"},
      {"orderMessageEnable", "false"},
      {"serverWorkerThreads", "8"},
  };
  auto conf = mq::effective_config(*cl, defaults);
  if (!conf) {
    std::fprintf(stderr, "mqnamesrv: %s\n", conf.error().message.c_str());
    return 2;
  }
  auto port = mq::get_int(*conf, "listenPort", 9876);
  auto workers = mq::get_int(*conf, "serverWorkerThreads", 8);
  if (!port || *port <= 0 || *port > 65535 || !workers || *workers <= 0) {
    std::fprintf(stderr, "mqnamesrv: %s\n",
                 !port ? port.error().message.c_str()
                       : !workers ? workers.error().message.c_str() : "listenPort must be 1..65535");
    return 2;
  }
  if (cl->print_config) {
    for (auto& [k, v] : *conf) std::printf("%s=%s\n", k.c_str(), v.c_str());
    return 0;
  }
  mq::namesrv::namesrv_config cfg;
  cfg.listen_port = static_cast<uint16_t>(*port);
  cfg.kv_config_path = mq::get_string(*conf, "kvConfigPath", "");
  cfg.order_message_enable = mq::get_bool(*conf, "orderMessageEnable", false);
  cfg.server_worker_threads = static_cast<size_t>(*workers);
  cfg.all = *conf;
  std::string exporter = mq::get_string(*conf, "metricsExporterType", "DISABLE");
  auto mport = mq::get_int(*conf, "metricsPromExporterPort", 5556);
  if ((exporter != "PROM" && exporter != "DISABLE") || !mport || *mport < 0 || *mport > 65535) {
    std::fprintf(stderr, "mqnamesrv: metricsExporterType must be PROM or DISABLE and metricsPromExporterPort 0..65535\n");
    return 2;
  }
  cfg.metrics_prom_enable = exporter == "PROM";
  cfg.metrics_prom_port = static_cast<uint16_t>(*mport);
  cfg.metrics_prom_host = mq::get_string(*conf, "metricsPromExporterHost", cfg.listen_address);

  mq::apps::block_stop_signals();
  mq::namesrv::namesrv_controller ns(cfg);
  std::string err;
  if (!ns.start(&err)) {
    std::fprintf(stderr, "mqnamesrv: %s\n", err.c_str());
    return 1;
  }
  std::printf("The Name Server boot success. serializeType=JSON, listening on port %u\n",
              static_cast<unsigned>(ns.port()));
  std::fflush(stdout);
  int sig = mq::apps::wait_for_stop_signal();
  spdlog::info("mqnamesrv: signal {} received, shutting down", sig);
  ns.stop();
  return 0;
}
