#include "pg_fixture.h"

#include "mq/common/loopback_port.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>

#ifndef SHOP_SOURCE_DIR
#error "SHOP_SOURCE_DIR must point at the repository (set by CMake)"
#endif

namespace shop::db::test {

uint16_t free_port() { return mq::loopback_free_port(); }

namespace {

void run(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
}
}  // namespace

pg_server& pg_server::instance() {
  static pg_server s;
  return s;
}

namespace {
// Clusters left by test processes that died without their exit handlers
// (a crash, a kill): stopped and removed, so they do not pile up.
void reap_orphans() {
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/tmp", ec)) {
    auto name = e.path().filename().string();
    if (name.rfind("shop_pg_test_", 0) != 0) continue;
    std::ifstream in(e.path() / "owner.pid");
    long pid = 0;
    if (!(in >> pid) || pid <= 0) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // owner alive
    std::string cmd = "bash '" SHOP_SOURCE_DIR "/deploy/pg.sh' destroy '" + e.path().string() + "' >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
  }
}
}  // namespace

pg_server::pg_server() {
  reap_orphans();
  char tmpl[] = "/tmp/shop_pg_test_XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::filesystem::permissions(dir_, std::filesystem::perms::all);  // the postgres user must enter it when we are root
  std::ofstream(dir_ + "/owner.pid") << ::getpid() << "\n";
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    std::string cmd = "PG_FAST=1 bash '" SHOP_SOURCE_DIR "/deploy/pg.sh' start '" + dir_ + "' " +
                      std::to_string(port_) + " >'" + dir_ + "/start.out' 2>&1";
    if (std::system(cmd.c_str()) == 0) return;
  }
  throw std::runtime_error("could not start PostgreSQL (see " + dir_ + ")");
}

pg_server::~pg_server() {
  std::string cmd = "bash '" SHOP_SOURCE_DIR "/deploy/pg.sh' stop '" + dir_ + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) == 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string pg_server::url(const std::string& db, const std::string& user) const {
  return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

void pg_server::psql(const std::string& sql, const std::string& db) const {
  std::string file = dir_ + "/q" + std::to_string(::getpid()) + ".sql";
  {
    std::ofstream out(file);
    out << sql;
  }
  run("psql -q -v ON_ERROR_STOP=1 '" + url(db) + "' -f '" + file + "' >/dev/null");
}

std::string pg_server::create_database(const std::string& prefix) {
  std::string name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(next_db_++);
  psql("CREATE DATABASE " + name);
  return name;
}

void pg_server::bootstrap_shop() {
  if (shop_ready_) return;
  psql("CREATE DATABASE shop");
  run("psql -q -v ON_ERROR_STOP=1 '" + url("shop") + "' -f '" SHOP_SOURCE_DIR "/sql/bootstrap.sql' >/dev/null 2>&1");
  shop_ready_ = true;
}

}  // namespace shop::db::test
