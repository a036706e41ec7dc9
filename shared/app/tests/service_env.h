// A service under test: its pool (as the service's role, migrated as the
// service does), its routes on a real HTTP server on loopback, and helpers
// to call it and to look at its tables.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "shop/db/pool.h"
#include "shop/http.h"

namespace shop::app::test {

class service_env {
 public:
  // `setup` makes the service object and registers its routes; the
  // returned object lives as long as the environment.
  service_env(const std::string& role, const std::string& schema,
              const std::function<std::shared_ptr<void>(db::pool&, http::router&)>& setup);
  ~service_env();

  db::pool& db() { return *db_; }
  const std::string& base() const { return base_; }
  http::client& client() { return client_; }

  void sql(const std::string& q);
  int64_t scalar(const std::string& q);
  std::string text(const std::string& q);
  // Status and parsed body (-1 and null when the call failed).
  std::pair<int, nlohmann::json> post(const std::string& target, const std::string& body);
  std::pair<int, nlohmann::json> get(const std::string& target);

 private:
  std::unique_ptr<db::pool> db_;
  std::shared_ptr<void> service_;
  std::unique_ptr<http::server> srv_;
  std::string base_;
  http::client client_;
};

}  // namespace shop::app::test
