#include "shop/db/pool.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace shop::db {

namespace {
std::shared_ptr<spdlog::logger> log() {
  static auto l = [] {
    auto e = spdlog::get("db");
    return e ? e : spdlog::stderr_color_mt("db");
  }();
  return l;
}
}  // namespace

pool::pool(pool_options opts) : opts_(std::move(opts)) {
  if (opts_.size == 0) opts_.size = 1;
}

pool::~pool() {
  std::lock_guard lk(mu_);
  idle_.clear();
}

pool::lease::~lease() {
  if (conn_ && pool_) pool_->give_back(std::move(conn_));
}

mq::status pool::db_error(const std::exception& e) {
  std::string state;
  if (auto* s = dynamic_cast<const pqxx::sql_error*>(&e)) state = s->sqlstate();
  // libpqxx 6.4 leaves sqlstate() empty for some classes it throws; the class says it.
  if (state.empty()) {
    if (dynamic_cast<const pqxx::insufficient_privilege*>(&e)) state = "42501";
    else if (dynamic_cast<const pqxx::unique_violation*>(&e)) state = "23505";
    else if (dynamic_cast<const pqxx::check_violation*>(&e)) state = "23514";
    else if (dynamic_cast<const pqxx::foreign_key_violation*>(&e)) state = "23503";
    else if (dynamic_cast<const pqxx::not_null_violation*>(&e)) state = "23502";
    else if (dynamic_cast<const pqxx::undefined_table*>(&e)) state = "42P01";
    else if (dynamic_cast<const pqxx::syntax_error*>(&e)) state = "42601";
    else if (dynamic_cast<const pqxx::serialization_failure*>(&e)) state = "40001";
    else if (dynamic_cast<const pqxx::deadlock_detected*>(&e)) state = "40P01";
  }
  std::string what = e.what();
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  return mq::status::error(mq::errc::io_error, (state.empty() ? "" : "[" + state + "] ") + what);
}

std::string text_hash(std::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string prepared_name(const std::string& sql) { return "q" + text_hash(sql); }

std::string pool::sqlstate(const mq::status& s) {
  if (s.message.size() > 7 && s.message[0] == '[' && s.message[6] == ']') return s.message.substr(1, 5);
  return "";
}

mq::result<std::unique_ptr<pqxx::connection>> pool::connect() {
  try {
    auto c = std::make_unique<pqxx::connection>(opts_.url);
    if (!opts_.schema.empty()) {
      pqxx::nontransaction n(*c);
      n.exec("SET search_path TO " + n.quote_name(opts_.schema));
      n.exec("SET application_name TO " + n.quote(opts_.application_name));
    }
    return c;
  } catch (const std::exception& e) {
    return db_error(e);
  }
}

mq::status pool::open() {
  auto c = connect();
  if (!c) return c.error();
  std::lock_guard lk(mu_);
  if (open_ >= opts_.size) return mq::status::success();
  open_++;
  idle_.push_back(std::move(*c));
  cv_.notify_one();
  return mq::status::success();
}

mq::result<pool::lease> pool::acquire() {
  std::unique_lock lk(mu_);
  auto deadline = std::chrono::steady_clock::now() + opts_.acquire_timeout;
  while (true) {
    if (!idle_.empty()) {
      auto c = std::move(idle_.front());
      idle_.pop_front();
      leased_++;
      return lease(this, std::move(c));
    }
    if (open_ < opts_.size) {
      open_++;
      leased_++;
      lk.unlock();
      auto c = connect();
      if (!c) {
        lk.lock();
        open_--;
        leased_--;
        cv_.notify_one();
        return c.error();
      }
      return lease(this, std::move(*c));
    }
    if (cv_.wait_until(lk, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= opts_.size)
      return mq::status::error(mq::errc::timeout, "database pool exhausted (" + std::to_string(opts_.size) +
                                                      " connections in use)");
  }
}

void pool::give_back(std::unique_ptr<pqxx::connection> c) {
  std::lock_guard lk(mu_);
  leased_--;
  if (c->is_open()) {
    idle_.push_back(std::move(c));
  } else {
    open_--;
    log()->warn("dropped a broken database connection");
  }
  cv_.notify_one();
}

size_t pool::in_use() const {
  std::lock_guard lk(mu_);
  return leased_;
}

bool pool::ping() {
  auto l = acquire();
  if (!l) return false;
  try {
    pqxx::nontransaction n(**l);
    n.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace shop::db
