// A private PostgreSQL cluster for integration tests: one per test process,
// started on first use with deploy/pg.sh (PG_FAST=1: no fsync) in a temp
// directory and stopped at exit.
#pragma once

#include <cstdint>
#include <string>

namespace shop::db::test {

// A TCP port on 127.0.0.1 that nobody listened on a moment ago.
uint16_t free_port();

class pg_server {
 public:
  static pg_server& instance();
  uint16_t port() const { return port_; }
  // A URL for `db` as `user` (trust authentication).
  std::string url(const std::string& db = "postgres", const std::string& user = "postgres") const;
  // Runs SQL as the superuser in `db` through psql; throws on failure.
  void psql(const std::string& sql, const std::string& db = "postgres") const;
  // A fresh database (unique name starting with `prefix`).
  std::string create_database(const std::string& prefix);
  // The shop database as deploy/up.sh makes it: database `shop`, the roles
  // and schemas of sql/bootstrap.sql (once per process).
  void bootstrap_shop();
  // The URL a service uses: role `role` in database `shop`.
  std::string shop_url(const std::string& role) const { return url("shop", role); }
  ~pg_server();

 private:
  pg_server();
  std::string dir_;
  uint16_t port_ = 0;
  int next_db_ = 0;
  bool shop_ready_ = false;
};

}  // namespace shop::db::test
