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
#include <optional>
#include <vector>
#include <string>

#include <pqxx/pqxx>

#include "mq/client/push_consumer.h"
#include "mq/common/message.h"
#include "mq/common/result.h"
#include "shop/db/pool.h"

namespace shop::messaging {

using handler_fn = std::function<::mq::status(pqxx::work&, const ::mq::message_ext&)>;

// A handler whose effect is one SQL statement, run together with step 1's
// claim as ONE statement in autocommit -- one round trip and one commit
// instead of BEGIN, claim, effect, COMMIT:
//   WITH claim AS (<the claim>), effect AS (<sql>) SELECT count(*) FROM claim
// `sql` is a data-modifying statement that may read the CTE `claim` (one
// row when this delivery is the first success) and must change nothing
// when it is empty (e.g. "... HAVING EXISTS (SELECT 1 FROM claim)"). $1..$5
// are the claim's parameters (group, tag, key, msg id, body); `params` are
// $6 on. `sql` should be a fixed text (it is prepared once per connection).
struct effect_statement {
  std::string sql;
  std::vector<std::string> params;
};
// nullopt: the message is malformed; it is claimed with no effect (and logged by the handler).
using statement_fn = std::function<std::optional<effect_statement>(const ::mq::message_ext&)>;

enum class outcome { applied, duplicate, failed };

class idempotent_handler {
 public:
  idempotent_handler(db::pool& db, std::string group, handler_fn fn);
  idempotent_handler(db::pool& db, std::string group, statement_fn fn);

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
  ::mq::status handle_transaction(const ::mq::message_ext& m, const std::string& tag, const std::string& key,
                                  const std::string& id, bool* duplicate, std::string* failure);
  ::mq::status handle_statement(const ::mq::message_ext& m, const std::string& tag, const std::string& key,
                                const std::string& id, bool* duplicate);
  db::pool& db_;
  std::string group_;
  handler_fn fn_;
  statement_fn statement_;
};

}  // namespace shop::messaging
