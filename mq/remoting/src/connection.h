// Private: one TCP connection (server-accepted or client-opened) with frame
// decoding, ordered bounded writes, opaque-matched responses and request
// dispatch. Reads, connects and closes run on the socket's strand; a frame
// may be written from any thread (see enqueue()).
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mq/remoting/channel.h"
#include "mq/remoting/executor.h"

namespace mq::remoting::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

class connection;

// Processors by request code, shared by server and client.
class dispatcher {
 public:
  void add(int32_t code, processor_fn fn, std::shared_ptr<bounded_executor> pool);
  void set_default(processor_fn fn, std::shared_ptr<bounded_executor> pool);
  // Runs on an io thread: hands `req` to its executor or answers at once.
  void dispatch(const std::shared_ptr<connection>& ch, remoting_command req);
  int64_t inflight() const { return inflight_.load(); }

 private:
  struct entry {
    processor_fn fn;
    std::shared_ptr<bounded_executor> pool;
  };
  std::unordered_map<int32_t, entry> table_;  // written before start only
  entry default_;
  std::atomic<int64_t> inflight_{0};
};

struct connection_options {
  size_t max_frame_size;
  size_t write_queue_soft_limit;
  size_t write_queue_hard_limit;
  std::chrono::milliseconds idle_timeout;  // 0 = none
  size_t max_inflight_requests;            // per connection, before reading pauses
  std::string owner;                       // for logs
};

class connection : public channel, public std::enable_shared_from_this<connection> {
 public:
  using close_hook = std::function<void(const std::shared_ptr<connection>&)>;

  connection(tcp::socket socket, connection_options opts, dispatcher* disp,
             std::atomic<int32_t>* opaque_gen, close_hook on_close);
  ~connection() override;

  // Server side: the socket is connected; start reading.
  void start_accepted();
  // Client side: resolve and connect; writes queue until connected.
  void start_connect(std::string host, std::string port, std::chrono::milliseconds timeout);

  // Fail pending invokes whose deadline passed. Any thread.
  void sweep(clock::time_point now);
  // Close once the write queue is empty (or at once when it is).
  void close_when_drained();
  size_t write_queue_bytes() const { return write_bytes_.load(); }

  // channel
  uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return remote_; }
  bool is_open() const override { return state_.load() != state::closed; }
  bool send(remoting_command cmd) override;
  void invoke_async(remoting_command req, std::chrono::milliseconds timeout, invoke_callback cb) override;
  invoke_result invoke_sync(remoting_command req, std::chrono::milliseconds timeout) override;
  errc invoke_oneway(remoting_command req) override;
  void close() override;

  void close_with(errc reason, std::string why);
  // A dispatched request finished processing (any thread).
  void request_done();

 private:
  enum class state { connecting, open, closed };
  struct pending {
    invoke_callback cb;
    clock::time_point deadline;
  };

  bool enqueue(std::string frame, bool is_response, bool lone);
  void do_read();
  void on_read(const boost::system::error_code& ec, size_t n);
  void process_buffer();
  bool may_take_requests() const;
  void maybe_resume();
  void do_write();
  void on_write(const boost::system::error_code& ec, size_t n);
  void on_drained();
  void direct_write();
  void close_socket();
  void arm_idle_timer();
  void do_close(errc reason, const std::string& why);  // on strand
  void touch();

  const uint64_t id_;
  tcp::socket socket_;
  asio::steady_timer idle_timer_;
  asio::steady_timer connect_timer_;
  tcp::resolver resolver_;
  const connection_options opts_;
  dispatcher* const dispatcher_;
  std::atomic<int32_t>* const opaque_gen_;
  close_hook on_close_;
  std::string remote_;

  std::atomic<state> state_{state::connecting};
  std::atomic<int64_t> last_activity_ns_{0};

  // Strand-only state.
  std::vector<char> read_buf_;
  size_t read_len_ = 0;
  bool reading_ = false;
  bool read_paused_ = false;
  std::vector<std::string> writing_batch_;

  // Writes: a frame is sent straight from the enqueuing thread when nothing
  // is queued or being written (see enqueue()); otherwise the strand writes
  // the queue. write_mu_ also keeps do_close() from closing the descriptor
  // under a direct send.
  std::mutex write_mu_;
  bool writing_ = false;                   // GUARDED_BY(write_mu_) a writer owns the wire (direct or strand)
  bool direct_ = false;                    // GUARDED_BY(write_mu_) ...and it is a thread in direct_write()
  std::deque<std::string> write_queue_;    // GUARDED_BY(write_mu_)
  std::atomic<bool> close_fd_pending_{false};  // do_close() left the descriptor to the direct writer
  std::atomic<bool> close_when_drained_{false};

  std::atomic<size_t> write_bytes_{0};
  std::atomic<int64_t> inflight_{0};  // requests dispatched and not yet processed
  std::atomic<int> last_read_requests_{0};  // requests decoded from the latest read

  std::mutex pending_mu_;
  std::unordered_map<int32_t, pending> pending_;  // GUARDED_BY(pending_mu_)
};

// Parse "host:port" / "[v6]:port". False on bad input.
bool split_host_port(const std::string& addr, std::string& host, std::string& port);

}  // namespace mq::remoting::detail
