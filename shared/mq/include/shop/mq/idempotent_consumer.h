// The shop's idempotent consumer (shop.md "Cancel compensation"): the
// consumer-log row and the business effect commit in ONE local transaction.
//
//   shop::mq::idempotent_handler h{db, "goods_order_cancel_group", [](pqxx::work& tx, const mq::message_ext& m) {
//     ...; return mq::status::success(); }};
//   consumer.register_listener(h.listener());
//
// For each message, keyed by (group, tag, key) — key = the message's first
// KEYS entry, else its UNIQ_KEY:
//  1. INSERT the mq_consumer_log row as a success (status 1, times 1), or
//     bump times of an existing row that is not a success; an existing
//     success → acknowledged, nothing runs (a duplicate delivery);
//  2. run the handler in the same transaction; success → commit (the row's
//     status 1 and the effect become visible together; status 0 "processing"
//     is never committed, since no one else could see it);
//  3. a handler error (or exception) rolls all of that back; then, in its
//     own transaction, the row records status 2, times + 1 and the error,
//     and the message goes back to the broker (RECONSUME_LATER) for a later
//     retry — after the broker's max retries it lands in the group's DLQ.
// Concurrent duplicates serialize on the row's primary key: one applies,
// the others see success and acknowledge.
//
// The table (in the service's schema, see sql/*/): mq_consumer_log(group_name,
// msg_tag, msg_key, msg_id, msg_body, consumer_status, consumer_times, remark,
// create_time, update_time), primary key (group_name, msg_tag, msg_key).
#pragma once

#include <functional>
#include <string>

#include <pqxx/pqxx>

#include "mq/client/push_consumer.h"
#include "mq/common/message.h"
#include "mq/common/result.h"
#include "shop/db/pool.h"

namespace shop::messaging {

using handler_fn = std::function<::mq::status(pqxx::work&, const ::mq::message_ext&)>;

enum class outcome { applied, duplicate, failed };

class idempotent_handler {
 public:
  idempotent_handler(db::pool& db, std::string group, handler_fn fn);

  // Processes one message as described above.
  outcome handle(const ::mq::message_ext& m);
  // A concurrent listener for mq::client::push_consumer (batch size 1 or more:
  // each message is handled on its own; any failure → RECONSUME_LATER).
  ::mq::client::concurrent_listener listener();
  // An orderly listener (failure → SUSPEND_CURRENT_QUEUE_A_MOMENT).
  ::mq::client::orderly_listener orderly_listener();

  // The dedup key of a message.
  static std::string key_of(const ::mq::message_ext& m);

 private:
  db::pool& db_;
  std::string group_;
  handler_fn fn_;
};

}  // namespace shop::messaging
