// PostgreSQL through libpqxx: a fixed-size connection pool (a libpq
// connection is not thread-safe, so each is leased to one thread at a time),
// transactions retried on serialization failure or deadlock, and schema
// migrations applied once each (migrate.h).
//
//   shop::db::pool db({.url = "postgresql://goods@127.0.0.1:5432/shop", .schema = "goods"});
//   auto r = db.transact([&](pqxx::work& tx) -> mq::result<int64_t> {
//     auto row = tx.exec_params1("UPDATE ... RETURNING goods_number", id);
//     return row[0].as<int64_t>();
//   });
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

#include <pqxx/pqxx>

#include "mq/common/result.h"

namespace shop::db {

struct pool_options {
  std::string url;     // libpq connection string or URI
  std::string schema;  // set as search_path on every connection ("" = leave it)
  size_t size = 8;
  std::chrono::milliseconds acquire_timeout = std::chrono::seconds(5);
  int max_retries = 5;  // transact(): extra attempts after serialization failures / deadlocks
  std::string application_name = "shop";
};

// SQLSTATE classes a caller may care about.
inline constexpr const char* unique_violation = "23505";
inline constexpr const char* check_violation = "23514";
inline constexpr const char* foreign_key_violation = "23503";

class pool {
 public:
  explicit pool(pool_options opts);
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  // Opens one connection to check the URL (errors: io_error with libpq's text).
  mq::status open();

  // A leased connection, returned to the pool on destruction. A connection
  // that broke is dropped and replaced on a later acquire.
  class lease {
   public:
    lease(pool* p, std::unique_ptr<pqxx::connection> c) : pool_(p), conn_(std::move(c)) {}
    lease(lease&& o) noexcept = default;
    lease& operator=(lease&&) = delete;
    ~lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }

   private:
    pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };
  // Errors: timeout (pool exhausted for acquire_timeout), io_error (cannot connect).
  mq::result<lease> acquire();

  // Runs `fn(pqxx::work&)` in a transaction and commits when it returns a
  // success (mq::status or mq::result<T>); an error result rolls back.
  // Serialization failures and deadlocks are retried (fresh transaction);
  // other database errors become io_error with the SQLSTATE in the message
  // (see sqlstate()); a broken connection is io_error.
  template <class F>
  auto transact(F&& fn) -> std::invoke_result_t<F, pqxx::work&>;
  // For reads of one statement: `fn(pqxx::transaction_base&)` on a
  // connection in autocommit (no BEGIN/COMMIT round trips). Errors as transact().
  template <class F>
  auto query(F&& fn) -> std::invoke_result_t<F, pqxx::nontransaction&>;
  // For a write that is one statement (a data-modifying CTE, or a call of a
  // function in the schema's migrations): `fn(pqxx::transaction_base&)` in
  // autocommit, so the statement is its own transaction -- one round trip
  // and one commit instead of BEGIN, the statements and COMMIT. `fn` must
  // run exactly one statement; serialization failures and deadlocks are
  // retried as in transact(), other errors as in transact().
  template <class F>
  auto apply(F&& fn) -> std::invoke_result_t<F, pqxx::nontransaction&>;

  // A connection of its own for a long-lived user (a relay that holds a
  // session lock), set up like the pool's but not counted in it.
  mq::result<std::unique_ptr<pqxx::connection>> dedicated() { return connect(); }
  // The error of a database exception, as transact() reports it.
  static mq::status error_of(const std::exception& e) { return db_error(e); }

  // SELECT 1 on a leased connection.
  bool ping();
  size_t size() const { return opts_.size; }
  size_t in_use() const;
  const pool_options& options() const { return opts_; }

  // The SQLSTATE that transact() put in an error message ("" if none).
  static std::string sqlstate(const mq::status& s);

 private:
  friend class lease;
  void give_back(std::unique_ptr<pqxx::connection> c);
  mq::result<std::unique_ptr<pqxx::connection>> connect();
  static mq::status db_error(const std::exception& e);
  // Runs body(connection) on a leased connection, again on a fresh one after
  // a serialization failure or deadlock (up to max_retries).
  template <class R, class Body>
  R retrying(const char* what, Body&& body);

  pool_options opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<pqxx::connection>> idle_;  // GUARDED_BY(mu_)
  size_t open_ = 0;                                      // GUARDED_BY(mu_) leased + idle
  size_t leased_ = 0;                                    // GUARDED_BY(mu_)
};

// Runs `sql` with `args` as a prepared statement of the transaction's
// connection: prepared (parsed, and planned once generic plans pay off) on
// its first use on that connection, then reused — the services' statements
// are fixed strings, so each connection ends up with a few dozen. Same
// results and errors as tx.exec_params.
std::string prepared_name(const std::string& sql);
// FNV-1a 64 of `text` as 16 hex digits: stable across processes and builds
// (statement names, migration checksums, request fingerprints).
std::string text_hash(std::string_view text);
template <class... Args>
pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  std::string name = prepared_name(sql);
  tx.conn().prepare(name, sql);  // records the definition once; a no-op afterwards
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}
// The same, expecting exactly one row (pqxx::unexpected_rows otherwise).
template <class... Args>
pqxx::row exec1(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  auto r = exec(tx, sql, std::forward<Args>(args)...);
  if (r.size() != 1) throw pqxx::unexpected_rows("expected 1 row, got " + std::to_string(r.size()) + ": " + sql);
  return r[0];
}

namespace detail {
template <class R>
R error_as(mq::status s) {
  return R(std::move(s));
}
}  // namespace detail

template <class R, class Body>
R pool::retrying(const char* what, Body&& body) {
  mq::status last;
  for (int attempt = 0; attempt <= opts_.max_retries; ++attempt) {
    auto l = acquire();
    if (!l) return detail::error_as<R>(l.error());
    try {
      return body(**l);
    } catch (const pqxx::transaction_rollback& e) {  // serialization failure, deadlock: nothing applied
      last = db_error(e);
      continue;
    } catch (const std::exception& e) {  // broken connection, in doubt, any other database error
      return detail::error_as<R>(db_error(e));
    }
  }
  return detail::error_as<R>(mq::status::error(mq::errc::busy, std::string(what) + " kept failing: " + last.message));
}

template <class F>
auto pool::transact(F&& fn) -> std::invoke_result_t<F, pqxx::work&> {
  using R = std::invoke_result_t<F, pqxx::work&>;
  return retrying<R>("transaction", [&](pqxx::connection& c) -> R {
    pqxx::work tx(c);
    R r = fn(tx);
    if (!r.ok()) {
      tx.abort();
      return r;
    }
    tx.commit();
    return r;
  });
}

template <class F>
auto pool::query(F&& fn) -> std::invoke_result_t<F, pqxx::nontransaction&> {
  using R = std::invoke_result_t<F, pqxx::nontransaction&>;
  auto l = acquire();
  if (!l) return detail::error_as<R>(l.error());
  try {
    pqxx::nontransaction tx(**l);
    return fn(tx);
  } catch (const std::exception& e) {
    return detail::error_as<R>(db_error(e));
  }
}

template <class F>
auto pool::apply(F&& fn) -> std::invoke_result_t<F, pqxx::nontransaction&> {
  using R = std::invoke_result_t<F, pqxx::nontransaction&>;
  return retrying<R>("statement", [&](pqxx::connection& c) -> R {
    pqxx::nontransaction tx(c);
    return fn(tx);
  });
}

}  // namespace shop::db
