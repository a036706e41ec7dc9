// The transactional outbox (shop.md "Order confirm", "If the broker is
// down, the outbox relay publishes it later"): a message is written to
// mq_producer_temp inside the caller's business transaction, and a relay
// thread publishes pending rows and marks them sent. At least once: a crash
// between send and mark re-sends, and the consumers dedupe.
//
// Table (service schema): mq_producer_temp(id bigserial primary key,
// group_name, msg_topic, msg_tag, msg_key, msg_body, msg_status 0 pending /
// 1 sent, create_time, send_time, delay_level, shard_key).
//
// Order: one relay per schema publishes at a time (it holds a session
// advisory lock on a connection of its own; other relays skip their passes
// until it lets go), rows in id order, and a failed send stops the pass.
// A pass is one autocommitted statement: it marks the rows the previous
// pass sent and reads the next pending ones (so a crash between a send and
// the next pass re-sends: at least once, as above).
//
// Rows with a shard_key go to queue shard_key mod the topic's write-queue count, so the messages of one key (an order's steps)
// reach one queue in the order they were enqueued — as long as the callers
// enqueue them in causally ordered transactions (the order service does).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <pqxx/pqxx>

#include "mq/client/producer.h"
#include "shop/db/pool.h"

namespace shop::messaging {

struct outbox_message {
  std::string topic;
  std::string tag;
  std::string key;
  std::string body;
  int delay_level = 0;                // broker delay level (0 = none)
  std::optional<int64_t> shard_key;  // ordered send: queue = key mod queue count
};

// Inserts a pending row in the caller's transaction; returns its id.
int64_t outbox_enqueue(pqxx::work& tx, const std::string& group, const outbox_message& m);

// For a writer that folds its business write and the outbox row into one
// statement (a data-modifying CTE, so one round trip and one commit): the
// text "INSERT INTO mq_producer_temp (...) SELECT $first, ... FROM <from>
// RETURNING id", which inserts one pending row per row of `from`. Its seven
// parameters, from $first on, are the group and the message's topic, tag,
// key, body, delay_level and shard_key, in that order.
std::string outbox_insert_from(const std::string& from, int first);

struct relay_options {
  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(500);
  std::chrono::milliseconds retry_after_failure = std::chrono::seconds(1);
  int batch = 100;
};

class outbox_relay {
 public:
  outbox_relay(db::pool& db, ::mq::client::producer& producer, relay_options opts = {});
  ~outbox_relay();  // stop()
  // Starts the thread; it publishes what is pending at once (rows left by
  // a crash included).
  void start();
  void stop();
  // Publish now (after a commit that enqueued something).
  void kick();
  // One pass: publishes up to `batch` pending rows; returns how many were
  // sent, or an error when the broker or the database failed.
  ::mq::result<int> publish_pending();
  int64_t sent_total() const { return sent_.load(); }

 private:
  void run();
  ::mq::status ensure_connection();
  db::pool& db_;
  std::unique_ptr<pqxx::connection> conn_;  // only the relay thread (or a direct publish_pending caller)
  bool locked_ = false;                     // conn_ holds the schema's relay lock
  std::string unmarked_;                    // ids sent but not yet marked, "1,2,3"
  std::mutex pass_mu_;                      // one pass at a time
  ::mq::client::producer& producer_;
  relay_options opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool kicked_ = false;   // GUARDED_BY(mu_)
  bool stopping_ = false; // GUARDED_BY(mu_)
  std::thread thread_;
  std::atomic<int64_t> sent_{0};
};

}  // namespace shop::messaging
