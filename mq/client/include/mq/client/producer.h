// Producers: RocketMQ's DefaultMQProducer and TransactionMQProducer.
//
//   mq::client::producer p({.group = "pg", .namesrv_addr = "127.0.0.1:9876"});
//   if (auto st = p.start(); !st.ok()) ...
//   mq::message m; m.topic = "orderTopic"; m.set_tags("order_cancel"); m.body = "...";
//   auto r = p.send(m);            // result<send_result>
//
// Route discovery from the name servers (refreshed every 30 s and after a
// failure), round-robin queue choice, and latency fault tolerance: a broker
// that failed or answered slowly is avoided for a back-off period (Java
// MQFaultStrategy's table), unless no other broker is left.
//
// Thread-safety: after start() every member may be called from any thread.
// Async callbacks run on the producer's callback pool (never on an io
// thread), so they may call send() again.
#pragma once

#include <any>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "mq/client/client_options.h"
#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq::client {

struct producer_options : client_options {
  std::string group = "DEFAULT_PRODUCER";
  std::chrono::milliseconds send_timeout = 3s;  // for the whole send, retries included
  int retry_times_when_send_failed = 2;         // sync: up to 1 + this attempts
  int retry_times_when_send_async_failed = 2;
  // Retry on another broker when the broker stored the message but reports
  // FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE.
  bool retry_another_broker_when_not_store_ok = false;
  size_t compress_msg_body_over_howmuch = 4096;  // zlib above this many body bytes
  size_t max_message_size = 4 * 1024 * 1024;
  int default_topic_queue_nums = 4;  // queues of a topic auto-created by a send
  // Latency fault tolerance (Java sendLatencyFaultEnable, off there by default).
  bool send_latency_fault_enable = true;
};

enum class send_status { SEND_OK, FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE };
const char* to_string(send_status s);

struct send_result {
  send_status status = send_status::SEND_OK;
  std::string msg_id;         // UNIQ_KEY (comma-joined for a batch)
  std::string offset_msg_id;  // broker-assigned id(s): store host + commit-log offset
  message_queue queue;
  int64_t queue_offset = 0;  // of the first message of a batch
  std::string transaction_id;
  std::string region_id;
};

// Picks the queue for an ordered send; `queues` is never empty. Example:
//   [](auto& qs, auto&, const std::any& a) { return qs[std::any_cast<int64_t>(a) % qs.size()]; }
using queue_selector =
    std::function<message_queue(const std::vector<message_queue>& queues, const message& msg, const std::any& arg)>;
using send_callback = std::function<void(result<send_result>)>;

class producer {
 public:
  explicit producer(producer_options opts);
  virtual ~producer();  // shutdown()
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Connects nothing yet; validates the options. Errors: invalid_argument.
  status start();
  // Unregisters from the brokers; pending async sends fail with closed.
  // Idempotent.
  void shutdown();

  // Sync send with retries (another broker on each retry when possible).
  // The message gets a UNIQ_KEY unless it has one. Errors: invalid_argument
  // (bad topic, empty or oversized body), not_found (no route), timeout,
  // closed, io_error (the broker's refusal, with its code and remark).
  result<send_result> send(const message& msg);
  // To one queue, no retries on another queue.
  result<send_result> send(const message& msg, const message_queue& queue);
  // Ordered send: `selector` chooses among the topic's write queues.
  result<send_result> send(const message& msg, const queue_selector& selector, const std::any& arg);

  void send_async(const message& msg, send_callback cb);
  std::future<result<send_result>> send_async(const message& msg);
  // Fire and forget; an error only when nothing could be written.
  status send_oneway(const message& msg);

  // One SEND_BATCH_MESSAGE: all messages to one topic, no delay level, no
  // retry topic; their total encoded size ≤ max_message_size.
  result<send_result> send_batch(const std::vector<message>& msgs);
  // Splits into batches of at most `max_bytes` each (the seed's
  // ListSplitter: 20 bytes of overhead + topic + body + properties per
  // message). A single message larger than max_bytes is a batch of its own
  // (its send then fails with too_large).
  static std::vector<std::vector<message>> split_batches(const std::vector<message>& msgs,
                                                         size_t max_bytes = 4 * 1024 * 1024);

  const producer_options& options() const;
  // Messages queued on the wire by send_async and not yet answered.
  size_t inflight_async() const;

 protected:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// ---- Transactions ------------------------------------------------------------

enum class local_transaction_state { COMMIT_MESSAGE, ROLLBACK_MESSAGE, UNKNOW };

class transaction_listener {
 public:
  virtual ~transaction_listener() = default;
  // Runs on the caller's thread of send_message_in_transaction, after the
  // half message is stored. An exception counts as UNKNOW (the broker will
  // ask check_local_transaction later).
  virtual local_transaction_state execute_local_transaction(const message& msg, const std::any& arg) = 0;
  // The broker's check-back (CHECK_TRANSACTION_STATE), on the producer's
  // bounded check pool. `msg.properties` holds UNIQ_KEY = the transaction id.
  virtual local_transaction_state check_local_transaction(const message_ext& msg) = 0;
};

struct transaction_send_result : send_result {
  local_transaction_state local_state = local_transaction_state::UNKNOW;
};

struct transaction_producer_options : producer_options {
  size_t check_thread_pool_size = 1;
  size_t check_request_hold_max = 2000;  // queued checks beyond this are dropped (the broker re-checks)
};

class transaction_producer : public producer {
 public:
  // The listener must outlive the producer.
  transaction_producer(transaction_producer_options opts, transaction_listener* listener);
  ~transaction_producer() override;

  // Sends the half message (TRAN_MSG=true, PGROUP), runs the local
  // transaction, then sends END_TRANSACTION oneway. Errors are those of
  // send(); a half message the broker refused runs no local transaction.
  result<transaction_send_result> send_message_in_transaction(const message& msg, const std::any& arg);

 private:
  struct check_state;
  std::unique_ptr<check_state> check_;
};

}  // namespace mq::client
