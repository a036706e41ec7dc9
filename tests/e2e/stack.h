// The whole shop as real processes for the end-to-end tests: a private
// PostgreSQL (the test fixture's), mqnamesrv, mqbroker and the five services,
// each started from its binary with its own config file and log, on free
// loopback ports. Tests talk to the services over HTTP only; they read the
// database directly (as the superuser) only to check end states.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "shop/http.h"

namespace shop::e2e {

using nlohmann::json;
using namespace std::chrono_literals;

// Polls `pred` every 100 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 30s);

struct response {
  int status = -1;  // -1: no answer (connection refused or reset, timeout)
  json body;
  std::map<std::string, std::string> headers;
  bool ok() const { return status == 200 && body.is_object() && body.value("success", false); }
  int code() const { return body.is_object() && body.contains("code") ? body["code"].get<int>() : -1; }
  // The Result's data; null when there is none (no answer, an error page).
  const json& data() const {
    static const json none;
    return body.is_object() && body.contains("data") ? body["data"] : none;
  }
  std::string str() const { return std::to_string(status) + " " + body.dump(); }
};

class stack {
 public:
  static constexpr int check_delay_level = 5;  // 5 s with the broker's messageDelayLevel below
  static constexpr auto check_delay = 5s;

  // The stack shared by every test of the process (started on first use).
  static stack& get();
  ~stack();

  // Services: "order", "pay", "goods", "coupon", "user". Broker: "broker", "namesrv".
  void start(const std::string& name, const std::string& faults = "");
  void kill(const std::string& name);  // SIGKILL, reaped
  void stop(const std::string& name);  // SIGTERM, waits for the exit
  void restart(const std::string& name, const std::string& faults = "") {
    stop(name);
    start(name, faults);
  }
  bool running(const std::string& name);
  // Every process running, none with a fault plan (restarting what is needed).
  void reset();
  std::string log_tail(const std::string& name, size_t bytes = 4000);
  std::string namesrv() const;

  response post(const std::string& service, const std::string& target, const json& body,
                const std::map<std::string, std::string>& headers = {});
  response post_raw(const std::string& service, const std::string& target, const std::string& body,
                    const std::map<std::string, std::string>& headers = {});
  response get(const std::string& service, const std::string& target);

  // SQL in the shop database as the superuser.
  pqxx::result sql(const std::string& q);
  int64_t scalar(const std::string& q);

  // Test data, remembered for the consistency checker.
  int64_t new_user(const std::string& balance);
  int64_t new_goods(const std::string& price, int64_t stock);
  int64_t new_coupon(int64_t user_id, const std::string& price);

  // shop.md's invariants over everything the tests created (see stack.cc);
  // an empty list when they all hold.
  std::vector<std::string> inconsistencies();
  // Waits (up to `timeout`) for inconsistencies() to be empty; returns the
  // last list.
  std::vector<std::string> settle(std::chrono::milliseconds timeout = 60s);

 private:
  stack();
  struct proc;
  void write_configs();
  void spawn(proc& p, const std::string& faults);
  proc& find(const std::string& name);

  std::string dir_;
  std::string pg_admin_url_;
  uint16_t namesrv_port_ = 0, broker_port_ = 0;
  std::map<std::string, uint16_t> ports_;
  std::vector<std::unique_ptr<proc>> procs_;
  std::mutex mu_;
  std::unique_ptr<pqxx::connection> conn_;
  http::client client_;
  int64_t next_id_ = 1'000'000;
  std::map<int64_t, std::string> users_;   // id → initial balance
  std::map<int64_t, int64_t> goods_;       // id → initial stock
  std::vector<int64_t> coupons_;
};

}  // namespace shop::e2e
