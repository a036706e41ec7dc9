// The pull ("lite") consumer: RocketMQ's DefaultLitePullConsumer.
//
//   mq::client::lite_pull_consumer c({.group = "g", .namesrv_addr = ns});
//   c.subscribe("t", "*");   // or c.assign({...queues...})
//   c.start();
//   for (;;) { auto msgs = c.poll(1s); ...; c.commit(); }
//
// poll() pulls on the caller's thread, queue by queue, from each queue's
// position; a returned message moves the position past it. commit() stores
// the positions on the broker (auto_commit does it at the start of each
// poll and every persist_consumer_offset_interval). After a restart the
// group continues from the committed offsets. With subscribe(), queues are
// allocated among the group's clients as for the push consumer.
//
// Thread-safety: one thread polls; seek/commit/pause may be called from any
// thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mq/client/push_consumer.h"

namespace mq::client {

struct lite_pull_options : consumer_options {
  bool auto_commit = true;
};

class lite_pull_consumer {
 public:
  explicit lite_pull_consumer(lite_pull_options opts);
  ~lite_pull_consumer();  // shutdown()
  lite_pull_consumer(const lite_pull_consumer&) = delete;
  lite_pull_consumer& operator=(const lite_pull_consumer&) = delete;

  status subscribe(const std::string& topic, const std::string& tag_expression);
  // Explicit queues; no rebalancing.
  void assign(std::vector<message_queue> queues);
  status start();
  void shutdown();

  // Up to pull_batch_size messages from the next queue that has any, waiting
  // at most `timeout`. Empty on timeout.
  std::vector<message_ext> poll(std::chrono::milliseconds timeout);
  // Next offset poll() reads from `q`. Errors: invalid_argument when q is
  // not assigned, or offset outside [min, max] of the queue.
  status seek(const message_queue& q, int64_t offset);
  status seek_to_begin(const message_queue& q);
  status seek_to_end(const message_queue& q);
  // Store the current positions on the broker now.
  status commit();
  // The committed offset on the broker (−1 when none).
  result<int64_t> committed(const message_queue& q);
  std::vector<message_queue> assignment() const;
  // The topic's readable queues (from the route).
  result<std::vector<message_queue>> fetch_queues(const std::string& topic);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mq::client
