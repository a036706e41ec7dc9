// Transactional messages on the broker (rocketmq-protocol.md §6.7, Java
// TransactionalMessageServiceImpl / EndTransactionProcessor).
//
//  * A half message (TRAN_MSG=true) is stored in RMQ_SYS_TRANS_HALF_TOPIC
//    queue 0, its real topic/queue in REAL_TOPIC / REAL_QID, as a NOT-type
//    record: invisible to consumers of the real topic.
//  * END_TRANSACTION commit writes the real message (COMMIT type) and an op
//    record; rollback writes the op record only. The op record, in
//    RMQ_SYS_TRANS_OP_HALF_TOPIC queue 0, has tags "d" and the half
//    message's queue offset as its body. A half message with an op record is
//    done: a repeated or late END_TRANSACTION does nothing.
//  * A check thread, every transactionCheckInterval, walks the half queue and
//    sends CHECK_TRANSACTION_STATE to a live producer of the message's
//    producer group for each half message older than transactionTimeOut (or
//    its CHECK_IMMUNITY_TIME_IN_SECONDS) with no op record; after
//    transactionCheckMax checks the message is discarded (an op record,
//    logged).
//
// The done set is rebuilt from the op queue at start, so a restarted broker
// resumes checking what is pending; the check counts of pending half
// messages are written to config/transactionCheck.json after each pass that
// sent a check ({"checks":{"<half offset>":n}}), so the limit holds across
// restarts.
//
// Thread-safety: end() and the check thread share one mutex.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "mq/common/message.h"
#include "mq/common/result.h"
#include "mq/remoting/channel.h"
#include "mq/store/message_store.h"

namespace mq::broker {

struct transaction_options {
  int64_t timeout_ms = 6000;           // transactionTimeOut
  int32_t check_max = 15;              // transactionCheckMax
  int64_t check_interval_ms = 60000;   // transactionCheckInterval
};

class transaction_service {
 public:
  // `producer_channel(group)` returns a live channel of a producer of that
  // group, or nullptr.
  // `checks_path`: where the check counts persist (config/transactionCheck.json).
  transaction_service(store::message_store& store, transaction_options opts, socket_address store_host,
                      std::function<remoting::channel_ptr(const std::string&)> producer_channel,
                      std::string checks_path);
  ~transaction_service();  // stop()

  // The broker's address in the records it writes (known once the server
  // has its port when listenPort=0).
  void set_store_host(socket_address h);
  void start();
  void stop();

  // Turns a prepared message into its half message.
  static void as_half(message_ext& m);

  // END_TRANSACTION. `type` is the sysflag value: 8 commit, 12 rollback, 0
  // unknown. Errors: the offsets do not name a half message of `group`
  // (invalid_argument), a store failure (io_error). *real_topic gets the
  // message's topic when this call settled it (not on a repeat).
  status end(int64_t commit_log_offset, int64_t queue_offset, const std::string& group, int32_t type,
             bool from_check, std::string* real_topic = nullptr);

  // One check pass now (tests; the thread runs it every interval).
  void check_now();
  size_t pending() const;

  // Half messages not yet committed, rolled back or discarded (oldest
  // first, at most `max`), and the ones discarded after transactionCheckMax
  // checks: for mqadmin listHalfMessages.
  struct half_info {
    int64_t half_offset = 0, commit_log_offset = 0, store_timestamp = 0;
    std::string topic, producer_group, msg_id, offset_msg_id;
    int32_t checks = 0;
    bool discarded = false;
  };
  std::vector<half_info> list(size_t max) const;
  // RESUME_CHECK_HALF_MESSAGE: a pending half message gets its check count
  // reset; a discarded one is stored again as a new half message, so the
  // checks start over. Errors: not_found (no half message there),
  // invalid_argument (it was committed or rolled back).
  status resume_check(int64_t commit_log_offset);

 private:
  void run();
  status write_op(int64_t half_queue_offset);
  void load_done();
  void persist_checks();  // REQUIRES(mu_)

  store::message_store& store_;
  const transaction_options opts_;
  socket_address store_host_;  // GUARDED_BY(mu_)
  std::function<remoting::channel_ptr(const std::string&)> producer_channel_;
  const std::string checks_path_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<int64_t> done_;            // GUARDED_BY(mu_) half queue offsets with an op record
  std::map<int64_t, int32_t> checks_; // GUARDED_BY(mu_) half queue offset -> checks sent
  std::set<int64_t> discarded_;       // GUARDED_BY(mu_) done by the check limit, not by the producer
  int64_t scan_from_ = 0;             // GUARDED_BY(mu_) every half offset below is done
  bool stopping_ = false;             // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace mq::broker
