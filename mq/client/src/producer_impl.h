// producer::impl, shared by producer.cc and transaction_producer.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "client_instance.h"
#include "mq/client/producer.h"
#include "mq/remoting/executor.h"

namespace mq::client {

// Java MQFaultStrategy: a broker that failed or answered slowly is avoided
// for a back-off period that grows with the latency (table below).
class latency_fault_tolerance {
 public:
  // `latency` of the last call; isolation (a failure) counts as 30 s.
  void update(const std::string& broker, std::chrono::milliseconds latency, bool isolation);
  bool available(const std::string& broker) const;
  // The back-off for a latency: 50 ms → 0, 100 → 0, 550 → 30 s, 1 s → 60 s,
  // 2 s → 120 s, 3 s → 180 s, 15 s and more → 600 s.
  static std::chrono::milliseconds not_available_duration(std::chrono::milliseconds latency);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> until_;  // GUARDED_BY(mu_)
};

// A message ready for the wire.
struct prepared_message {
  message msg;
  int32_t sys_flag = 0;
  std::string properties;  // encoded
  int32_t reconsume_times = -1;      // header j, for %RETRY% sends; -1 = absent
  int32_t max_reconsume_times = -1;  // header l
  bool batch = false;
};

struct producer::impl {
  producer_options opts;
  std::unique_ptr<client_instance> inst;
  std::shared_ptr<remoting::bounded_executor> callbacks;
  latency_fault_tolerance faults;
  std::atomic<uint64_t> queue_counter{0};
  std::atomic<size_t> inflight{0};
  std::atomic<bool> started{false};
  std::atomic<bool> down{false};

  explicit impl(producer_options o);

  status validate(const message& m) const;
  // Validate, set UNIQ_KEY, compress, encode properties.
  result<prepared_message> prepare(const message& m, std::string* uniq_key);
  // The topic's write queues (TBW102's brokers for an unknown topic, as Java).
  result<std::vector<message_queue>> publish_queues(const std::string& topic);
  message_queue select_queue(const std::vector<message_queue>& qs, const std::string& last_broker);
  remoting_command make_request(const prepared_message& p, const message_queue& q) const;
  // The response of a send as a send_result, or an error.
  result<send_result> parse_response(const remoting_command& resp, const message_queue& q,
                                     const std::string& uniq_key) const;
  // One attempt to one queue; updates the fault table. *code is the
  // broker's response code, −1 when none arrived.
  result<send_result> send_once(const prepared_message& p, const message_queue& q, const std::string& uniq_key,
                                std::chrono::milliseconds timeout, int32_t* code);
  // Sync send with retries; `fixed` = no queue choice, no retries.
  result<send_result> send_with_retries(const prepared_message& p, const std::string& uniq_key,
                                        const message_queue* fixed);
  void send_async_attempt(std::shared_ptr<struct async_send> s);
  void end_transaction(const send_result& r, local_transaction_state st, const std::string& remark);
};

// Retryable broker answers (Java DefaultMQProducer.retryResponseCodes, plus SYSTEM_BUSY).
bool retryable_code(int32_t code);

}  // namespace mq::client
