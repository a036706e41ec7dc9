#include "mq/remoting/server.h"

#include <future>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "connection.h"
#include "io_runner.h"
#include "log.h"

namespace mq::remoting {

using namespace detail;

struct remoting_server::impl {
  server_options opts;
  dispatcher disp;
  std::atomic<int32_t> opaque_gen{1};
  std::function<void(const channel_ptr&)> on_closed;
  std::unique_ptr<io_runner> runner;
  std::unique_ptr<tcp::acceptor> acceptor;
  uint16_t bound_port = 0;
  std::atomic<bool> stopping{false};
  bool stopped = false;

  mutable std::mutex mu;
  std::unordered_set<std::shared_ptr<connection>> conns;  // GUARDED_BY(mu)

  explicit impl(server_options o) : opts(std::move(o)) {}

  void sweep() {
    std::vector<std::shared_ptr<connection>> snapshot;
    {
      std::lock_guard lock(mu);
      snapshot.assign(conns.begin(), conns.end());
    }
    auto now = clock::now();
    for (auto& c : snapshot) c->sweep(now);
  }

  void do_accept() {
    acceptor->async_accept(asio::make_strand(runner->io()),
                           [this](const boost::system::error_code& ec, tcp::socket socket) {
                             if (ec) {
                               if (ec == asio::error::operation_aborted || stopping.load()) return;
                               log()->warn("{}: accept failed: {}", opts.name, ec.message());
                               // Back off on EMFILE and similar instead of spinning.
                               auto t = std::make_shared<asio::steady_timer>(runner->io(), std::chrono::milliseconds(50));
                               t->async_wait([this, t](const boost::system::error_code&) {
                                 if (!stopping.load()) do_accept();
                               });
                               return;
                             }
                             if (stopping.load()) return;
                             connection_options co{opts.max_frame_size, opts.write_queue_soft_limit,
                                                   opts.write_queue_hard_limit, opts.idle_timeout,
                                                   opts.max_inflight_requests, opts.name};
                             auto conn = std::make_shared<connection>(
                                 std::move(socket), co, &disp, &opaque_gen,
                                 [this](const std::shared_ptr<connection>& c) {
                                   {
                                     std::lock_guard lock(mu);
                                     conns.erase(c);
                                   }
                                   if (on_closed) on_closed(c);
                                 });
                             {
                               std::lock_guard lock(mu);
                               conns.insert(conn);
                             }
                             conn->start_accepted();
                             log()->debug("{}: accepted {}", opts.name, conn->remote_address());
                             do_accept();
                           });
  }
};

remoting_server::remoting_server(server_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

remoting_server::~remoting_server() { stop(); }

void remoting_server::register_processor(int32_t code, processor_fn fn, std::shared_ptr<bounded_executor> pool) {
  impl_->disp.add(code, std::move(fn), std::move(pool));
}

void remoting_server::register_default_processor(processor_fn fn, std::shared_ptr<bounded_executor> pool) {
  impl_->disp.set_default(std::move(fn), std::move(pool));
}

void remoting_server::on_channel_closed(std::function<void(const channel_ptr&)> fn) {
  impl_->on_closed = std::move(fn);
}

bool remoting_server::start(std::string* error) {
  auto& d = *impl_;
  d.runner = std::make_unique<io_runner>(d.opts.io_threads, std::chrono::milliseconds(10), [&d] { d.sweep(); });
  try {
    auto addr = asio::ip::make_address(d.opts.bind_address);
    tcp::endpoint ep(addr, d.opts.port);
    d.acceptor = std::make_unique<tcp::acceptor>(d.runner->io());
    d.acceptor->open(ep.protocol());
    d.acceptor->set_option(tcp::acceptor::reuse_address(true));
    d.acceptor->bind(ep);
    d.acceptor->listen(asio::socket_base::max_listen_connections);
    d.bound_port = d.acceptor->local_endpoint().port();
  } catch (const std::exception& e) {
    if (error) *error = d.opts.name + ": cannot listen on " + d.opts.bind_address + ":" +
                        std::to_string(d.opts.port) + ": " + e.what();
    d.acceptor.reset();
    d.runner->stop();
    d.runner.reset();
    return false;
  }
  asio::post(d.acceptor->get_executor(), [&d] { d.do_accept(); });
  log()->info("{}: listening on {}:{}", d.opts.name, d.opts.bind_address, d.bound_port);
  return true;
}

uint16_t remoting_server::port() const { return impl_->bound_port; }

size_t remoting_server::connection_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->conns.size();
}

void remoting_server::stop() {
  auto& d = *impl_;
  if (d.stopped || !d.runner) return;
  d.stopped = true;
  d.stopping.store(true);
  // 1. Stop accepting.
  std::promise<void> closed;
  asio::post(d.acceptor->get_executor(), [&d, &closed] {
    boost::system::error_code ignore;
    d.acceptor->close(ignore);
    closed.set_value();
  });
  closed.get_future().wait();
  auto deadline = clock::now() + d.opts.shutdown_grace;
  // 2. Let in-flight processors finish (their responses get queued).
  while (d.disp.inflight() > 0 && clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // 3. Close every connection once its queued writes are out.
  std::vector<std::shared_ptr<connection>> snapshot;
  {
    std::lock_guard lock(d.mu);
    snapshot.assign(d.conns.begin(), d.conns.end());
  }
  for (auto& c : snapshot) c->close_when_drained();
  while (connection_count() > 0 && clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  {
    std::lock_guard lock(d.mu);
    snapshot.assign(d.conns.begin(), d.conns.end());
  }
  for (auto& c : snapshot) c->close_with(errc::shutting_down, "shutdown grace expired");
  // Give the posted closes a moment to run before the io threads stop.
  for (int i = 0; i < 100 && connection_count() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  d.runner->stop();
  {
    std::lock_guard lock(d.mu);
    d.conns.clear();
  }
  log()->info("{}: stopped", d.opts.name);
}

}  // namespace mq::remoting
