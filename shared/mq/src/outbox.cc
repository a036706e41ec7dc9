#include "shop/mq/outbox.h"

#include <spdlog/spdlog.h>

namespace shop::messaging {

int64_t outbox_enqueue(pqxx::work& tx, const std::string& group, const outbox_message& m) {
  auto r = tx.exec_params1(
      "INSERT INTO mq_producer_temp (group_name, msg_topic, msg_tag, msg_key, msg_body, msg_status) "
      "VALUES ($1, $2, $3, $4, $5, 0) RETURNING id",
      group, m.topic, m.tag, m.key, m.body);
  return r[0].as<int64_t>();
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

::mq::result<int> outbox_relay::publish_pending() {
  int sent = 0;
  ::mq::status failure;
  // Rows are locked while sent (SKIP LOCKED lets several relays share the table).
  auto st = db_.transact([&](pqxx::work& tx) -> ::mq::status {
    sent = 0;
    auto rows = tx.exec_params(
        "SELECT id, msg_topic, msg_tag, msg_key, msg_body FROM mq_producer_temp WHERE msg_status = 0 "
        "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        opts_.batch);
    for (const auto& row : rows) {
      ::mq::message m;
      m.topic = row[1].as<std::string>();
      m.set_tags(row[2].as<std::string>());
      m.set_keys({row[3].as<std::string>()});
      m.body = row[4].as<std::string>();
      auto r = producer_.send(m);
      if (!r) {
        failure = r.error();
        break;  // keep the order: the rest waits for the next pass
      }
      tx.exec_params("UPDATE mq_producer_temp SET msg_status = 1, send_time = now() WHERE id = $1",
                     row[0].as<int64_t>());
      spdlog::info("outbox: row {} published to {} (tag {}, key {}) as {}", row[0].as<int64_t>(), m.topic, m.tags(),
                   row[3].as<std::string>(), r->msg_id);
      sent++;
    }
    return ::mq::status::success();  // commit the rows that were sent
  });
  if (!st.ok()) return st;
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
    }
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, wait, [this] { return stopping_ || kicked_; });
    if (stopping_) return;
    kicked_ = false;
  }
}

}  // namespace shop::messaging
