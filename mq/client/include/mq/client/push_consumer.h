// The push consumer: RocketMQ's DefaultMQPushConsumer.
//
//   mq::client::push_consumer c({.group = "cg", .namesrv_addr = "127.0.0.1:9876"});
//   c.subscribe("orderTopic", "order_cancel || order_paid");
//   c.register_listener([](const std::vector<mq::message_ext>& msgs, auto&) {
//     ...; return mq::client::consume_status::CONSUME_SUCCESS; });
//   c.start();
//
// How it works (seed 004 part three §2.5, rocketmq-protocol.md §6.4–6.5):
//  * rebalance every 20 s and on NOTIFY_CONSUMER_IDS_CHANGED allocates the
//    subscribed queues among the group's live clients;
//  * one long-polling pull loop per assigned queue feeds a process queue;
//    pulling pauses while a queue caches more than the thresholds;
//  * the committed offset of a queue is the smallest offset still in flight,
//    so a crash re-delivers, never skips (at-least-once: listeners must be
//    idempotent);
//  * concurrent listener: RECONSUME_LATER (or an exception) sends the message
//    back (CONSUMER_SEND_MSG_BACK) to come again through %RETRY%<group> with
//    a growing delay; after max_reconsume_times it goes to %DLQ%<group>;
//  * orderly listener: queues are locked on the broker, one thread per queue
//    at a time in offset order; SUSPEND_CURRENT_QUEUE_A_MOMENT retries the same
//    messages after suspend_current_queue_time without skipping.
//
// Thread-safety: configure (subscribe, register_listener) before start();
// start/shutdown/unsubscribe may be called from any thread. Listeners run on
// the consume pool and may block.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mq/client/client_options.h"
#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq::client {

enum class message_model { CLUSTERING, BROADCASTING };
enum class consume_from_where { CONSUME_FROM_LAST_OFFSET, CONSUME_FROM_FIRST_OFFSET, CONSUME_FROM_TIMESTAMP };
enum class allocate_strategy { AVERAGELY, AVERAGELY_BY_CIRCLE };

const char* to_string(message_model m);
const char* to_string(consume_from_where w);

// Java AllocateMessageQueueAveragely / AveragelyByCircle: the queues of
// `all` (sorted) that client `cid` gets among `cids` (sorted). A client not
// in `cids` gets none.
std::vector<message_queue> allocate(allocate_strategy s, const std::string& cid, const std::vector<message_queue>& all,
                                    const std::vector<std::string>& cids);

struct consumer_options : client_options {
  std::string group = "DEFAULT_CONSUMER";
  message_model model = message_model::CLUSTERING;
  consume_from_where from_where = consume_from_where::CONSUME_FROM_LAST_OFFSET;
  // For CONSUME_FROM_TIMESTAMP: ms since the epoch; 0 = now − 30 min.
  int64_t consume_timestamp = 0;
  allocate_strategy allocation = allocate_strategy::AVERAGELY;
  size_t consume_thread_count = 20;
  size_t consume_message_batch_max_size = 1;
  int pull_batch_size = 32;
  std::chrono::milliseconds pull_interval = 0ms;
  // Flow control per queue: pause pulling above this many cached messages or MiB.
  size_t pull_threshold_for_queue = 1000;
  size_t pull_threshold_size_for_queue_mib = 100;
  // Concurrent mode: pause when the cached offsets span more than this.
  int64_t consume_concurrently_max_span = 2000;
  // −1 = 16 (Java). Also the orderly DLQ threshold.
  int max_reconsume_times = -1;
  std::chrono::milliseconds suspend_current_queue_time = 1000ms;
  std::chrono::milliseconds rebalance_interval = 20s;
  std::chrono::milliseconds broker_suspend_max_time = 15s;  // long-polling hold asked of the broker
  // Broadcasting offsets: <dir>/<client ip>@<instance_name or DEFAULT>/<group>/offsets.json;
  // empty dir = $HOME/.rocketmq_offsets (or ./.rocketmq_offsets without HOME).
  std::string offset_store_dir;
};

enum class consume_status { CONSUME_SUCCESS, RECONSUME_LATER };
enum class consume_orderly_status { SUCCESS, SUSPEND_CURRENT_QUEUE_A_MOMENT };

struct consume_context {
  message_queue queue;
  // Concurrent mode: the delay level asked of the broker for a failed batch
  // (0: the broker's rule, 3 + reconsume times; −1: straight to the DLQ).
  int delay_level_when_next_consume = 0;
};

using concurrent_listener = std::function<consume_status(const std::vector<message_ext>&, consume_context&)>;
using orderly_listener = std::function<consume_orderly_status(const std::vector<message_ext>&, consume_context&)>;

class push_consumer {
 public:
  explicit push_consumer(consumer_options opts);
  ~push_consumer();  // shutdown()
  push_consumer(const push_consumer&) = delete;
  push_consumer& operator=(const push_consumer&) = delete;

  // "*" or "TagA || TagB". Errors: invalid_argument for an empty topic or
  // a SQL92 expression (use subscribe_sql).
  status subscribe(const std::string& topic, const std::string& tag_expression);
  // SQL92 filtering needs broker support (enablePropertyFilter); the broker
  // answers CHECK_CLIENT_CONFIG with an error when it has none, and start()
  // reports it.
  status subscribe_sql(const std::string& topic, const std::string& sql);
  void unsubscribe(const std::string& topic);

  void register_listener(concurrent_listener l);
  void register_listener(orderly_listener l);

  // Errors: invalid_argument (no listener, no subscription, bad options),
  // not_found / io_error when no name server or broker answers.
  status start();
  // Stop pulling, finish in-flight listeners, persist offsets, unlock
  // queues, unregister. Idempotent.
  void shutdown();
  // Stop as a crash would: close the connections at once, persist nothing,
  // unlock and unregister nothing (failure drills and tests). Consumed but
  // uncommitted messages are delivered again to whoever takes the queues.
  void halt();

  const std::string& client_id() const;
  // The queues this client holds now (for tests and diagnostics).
  std::vector<message_queue> assigned_queues() const;
  // Persist offsets now (normally every persist_consumer_offset_interval).
  void persist_offsets();
  // Rebalance now (normally every rebalance_interval and on notify).
  void rebalance_now();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace mq::client
