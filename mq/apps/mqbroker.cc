// mqbroker: the broker process.
//
//   mqbroker [-n host:port[;host:port]] [-c broker.conf] [-p] [key=value ...]
//
// Reads RocketMQ's broker.conf keys (mq/broker/broker_config.h lists them;
// both the maped... and mapped... spellings), registers with every name
// server and serves clients on listenPort (and listenPort-2). -p prints the
// effective configuration and exits. SIGTERM / SIGINT (mqshutdown broker)
// stop it gracefully: stop accepting, finish in-flight requests, unregister,
// persist offsets, flush and checkpoint, remove the abort file.
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "mq/broker/broker_controller.h"
#include "mq/common/config.h"
#include "signals.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: mqbroker [-n namesrvAddr] [-c broker.conf] [-p] [-h] [key=value ...]\n"
               "  -n addr     name server address list, host:port;host:port\n"
               "  -c file     read configuration (Java properties) from file\n"
               "  -p          print the effective configuration and exit\n"
               "  key=value   override one configuration key (brokerName, listenPort,\n"
               "              storePathRootDir, flushDiskType, brokerIP1, ...)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cl = mq::parse_command_line(args);
  if (!cl) {
    std::fprintf(stderr, "mqbroker: %s\n", cl.error().message.c_str());
    usage(stderr);
    return 2;
  }
  if (cl->help) {
    usage(stdout);
    return 0;
  }
  auto conf = mq::effective_config(*cl);
  if (!conf) {
    std::fprintf(stderr, "mqbroker: %s\n", conf.error().message.c_str());
    return 2;
  }
  auto cfg = mq::broker::broker_config_from(*conf);
  if (!cfg) {
    std::fprintf(stderr, "mqbroker: %s\n", cfg.error().message.c_str());
    return 2;
  }
  if (cl->print_config) {
    for (auto& [k, v] : cfg->all) std::printf("%s=%s\n", k.c_str(), v.c_str());
    return 0;
  }

  mq::apps::block_stop_signals();
  mq::broker::broker_controller broker(*cfg);
  std::string err;
  if (!broker.start(&err)) {
    std::fprintf(stderr, "mqbroker: %s\n", err.c_str());
    return 1;
  }
  std::printf("The broker[%s, %s] boot success. serializeType=JSON and name server is %s\n",
              broker.config().broker_name.c_str(), broker.broker_addr().c_str(),
              broker.config().namesrv_addr.c_str());
  std::fflush(stdout);
  int sig = mq::apps::wait_for_stop_signal();
  spdlog::info("mqbroker: signal {} received, shutting down", sig);
  broker.stop();
  return 0;
}
