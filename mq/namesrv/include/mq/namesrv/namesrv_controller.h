// The name server process: a remoting server with the name-server request
// processors, the route table, the KV config and the liveness scanner.
// `mqnamesrv` (mq/apps) is a thin main around this.
//
// Thread-safety: start()/stop() from one thread; processors run on the
// controller's executor.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mq/namesrv/route_info_manager.h"

namespace mq::remoting {
class remoting_server;
class bounded_executor;
}  // namespace mq::remoting

namespace mq::http {
class server;
}  // namespace mq::http

namespace mq::namesrv {

struct namesrv_config {
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port = 9876;                                   // listenPort
  std::string kv_config_path;                                    // kvConfigPath (empty = not persisted)
  bool order_message_enable = false;                             // orderMessageEnable
  std::chrono::milliseconds scan_not_active_broker_interval{10000};
  std::chrono::milliseconds broker_channel_expired_time{120000};
  size_t server_worker_threads = 8;                              // serverWorkerThreads
  // Prometheus /metrics, with the broker's keys: metricsExporterType=PROM,
  // metricsPromExporterHost (default listen address), metricsPromExporterPort
  // (default 5556, the broker's is 5557; 0 = any free port).
  bool metrics_prom_enable = false;
  std::string metrics_prom_host = "0.0.0.0";
  uint16_t metrics_prom_port = 5556;
  // Every key=value the process was started with, for GET_NAMESRV_CONFIG.
  std::map<std::string, std::string> all;
};

class namesrv_controller {
 public:
  explicit namesrv_controller(namesrv_config cfg);
  ~namesrv_controller();

  bool start(std::string* error);
  void stop();
  uint16_t port() const;
  uint16_t metrics_port() const;  // 0 when not serving /metrics
  route_info_manager& routes() { return routes_; }

  // KV config (namespace -> key -> value), persisted to kv_config_path.
  void put_kv(const std::string& ns, const std::string& key, const std::string& value);
  std::optional<std::string> get_kv(const std::string& ns, const std::string& key);
  void delete_kv(const std::string& ns, const std::string& key);

 private:
  void register_processors();
  void scan_loop();
  bool load_kv(std::string* error);
  void persist_kv_locked();

  namesrv_config cfg_;
  route_info_manager routes_;
  std::string metrics_text();
  std::unique_ptr<remoting::remoting_server> server_;
  std::unique_ptr<http::server> metrics_http_;
  std::shared_ptr<remoting::bounded_executor> pool_;
  std::mutex kv_mu_;
  std::map<std::string, std::map<std::string, std::string>> kv_;  // GUARDED_BY(kv_mu_)
  std::mutex scan_mu_;
  std::condition_variable scan_cv_;
  bool stopping_ = false;
  std::thread scan_thread_;
};

}  // namespace mq::namesrv
