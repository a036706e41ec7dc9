#include "shop/mq/outbox.h"

#include <spdlog/spdlog.h>

namespace shop::messaging {

namespace {
::mq::client::message_queue by_shard_key(const std::vector<::mq::client::message_queue>& qs, const ::mq::message&, const std::any& a) {
  auto key = static_cast<uint64_t>(std::any_cast<int64_t>(a));
  return qs[key % qs.size()];
}
}  // namespace

int64_t outbox_enqueue(pqxx::work& tx, const std::string& group, const outbox_message& m) {
  auto r = db::exec1(tx, 
      "INSERT INTO mq_producer_temp (group_name, msg_topic, msg_tag, msg_key, msg_body, msg_status, delay_level, shard_key) "
      "VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id",
      group, m.topic, m.tag, m.key, m.body, m.delay_level, m.shard_key);
  return r[0].as<int64_t>();
}

std::string outbox_insert_from(const std::string& from, int first) {
  auto p = [&](int i) { return "$" + std::to_string(first + i); };
  return "INSERT INTO mq_producer_temp (group_name, msg_topic, msg_tag, msg_key, msg_body, msg_status, delay_level, "
         "shard_key) SELECT " + p(0) + ", " + p(1) + ", " + p(2) + ", " + p(3) + ", " + p(4) + ", 0, " + p(5) +
         "::integer, " + p(6) + "::bigint FROM " + from + " RETURNING id";
}

outbox_relay::outbox_relay(db::pool& db, ::mq::client::producer& producer, relay_options opts)
    : db_(db), producer_(producer), opts_(opts) {}

outbox_relay::~outbox_relay() { stop(); }

void outbox_relay::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void outbox_relay::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void outbox_relay::kick() {
  std::lock_guard lk(mu_);
  kicked_ = true;
  cv_.notify_all();
}

::mq::status outbox_relay::ensure_connection() {
  if (conn_ && conn_->is_open()) return ::mq::status::success();
  conn_.reset();
  locked_ = false;
  auto c = db_.dedicated();
  if (!c) return c.error();
  conn_ = std::move(*c);
  try {
    // Losing a mark (an OS crash right after its commit) only re-sends rows,
    // which the consumers dedupe: the relay's commits need not wait for the WAL flush.
    pqxx::nontransaction n(*conn_);
    n.exec("SET synchronous_commit = off");
  } catch (const std::exception& e) {
    conn_.reset();
    return db::pool::error_of(e);
  }
  return ::mq::status::success();
}

::mq::result<int> outbox_relay::publish_pending() {
  std::lock_guard pass(pass_mu_);
  if (auto st = ensure_connection(); !st.ok()) return st;
  int sent = 0;
  ::mq::status failure;
  try {
    pqxx::nontransaction tx(*conn_);
    if (!locked_) {
      // One relay per schema at a time (keeps each shard key's order across
      // processes); held until this connection closes.
      locked_ = db::exec1(tx, "SELECT pg_try_advisory_lock(hashtext('shop.outbox.' || current_schema()))")[0].as<bool>();
      if (!locked_) return 0;  // another relay is publishing this schema's rows
    }
    // Mark what the last pass sent, and read what is pending besides (the
    // statement's snapshot does not see its own update, hence the exclusion).
    std::string marked = "{" + unmarked_ + "}";
    auto rows = db::exec(tx,
        "WITH done AS (UPDATE mq_producer_temp SET msg_status = 1, send_time = now() WHERE id = ANY($1::bigint[])) "
        "SELECT id, msg_topic, msg_tag, msg_key, msg_body, delay_level, shard_key FROM mq_producer_temp "
        "WHERE msg_status = 0 AND id <> ALL($1::bigint[]) ORDER BY id LIMIT $2",
        marked, opts_.batch);
    unmarked_.clear();
    for (const auto& row : rows) {
      ::mq::message m;
      m.topic = row[1].as<std::string>();
      m.set_tags(row[2].as<std::string>());
      m.set_keys({row[3].as<std::string>()});
      m.body = row[4].as<std::string>();
      if (int level = row[5].as<int>(); level > 0) m.set_delay_level(level);
      auto r = row[6].is_null() ? producer_.send(m)
                                : producer_.send(m, by_shard_key, std::any(row[6].as<int64_t>()));
      if (!r) {
        failure = r.error();
        break;  // keep the order: the rest waits for the next pass
      }
      unmarked_ += (unmarked_.empty() ? "" : ",") + row[0].as<std::string>();
      spdlog::info("outbox: row {} published to {} (tag {}, key {}) as {}", row[0].as<int64_t>(), m.topic, m.tags(),
                   row[3].as<std::string>(), r->msg_id);
      sent++;
    }
  } catch (const std::exception& e) {
    // unmarked_ is kept when the statement failed: the next pass marks those rows.
    conn_.reset();
    locked_ = false;
    return db::pool::error_of(e);
  }
  sent_ += sent;
  if (!failure.ok()) return ::mq::status::error(failure.code, "outbox: publishing failed: " + failure.message);
  return sent;
}

void outbox_relay::run() {
  while (true) {
    auto r = publish_pending();
    auto wait = opts_.poll_interval;
    if (!r) {
      spdlog::warn("{}; retrying in {} ms", r.error().message, opts_.retry_after_failure.count());
      wait = opts_.retry_after_failure;
    } else if (*r >= opts_.batch) {
      wait = std::chrono::milliseconds(0);  // more may be waiting
    } else if (*r > 0) {
      wait = std::chrono::milliseconds(0);  // the next pass marks them (and takes what came meanwhile)
    }
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, wait, [this] { return stopping_ || kicked_; });
    if (stopping_) {
      lk.unlock();
      (void)publish_pending();  // marks what was sent (and sends what is left, if it can)
      return;
    }
    kicked_ = false;
  }
}

}  // namespace shop::messaging
