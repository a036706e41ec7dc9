#include "mq/remoting/client.h"

#include <future>
#include <mutex>
#include <unordered_map>

#include <boost/asio/strand.hpp>

#include "connection.h"
#include "io_runner.h"
#include "log.h"

namespace mq::remoting {

using namespace detail;

struct remoting_client::impl {
  client_options opts;
  dispatcher disp;
  std::atomic<int32_t> opaque_gen{1};
  std::unique_ptr<io_runner> runner;

  std::mutex mu;
  bool shut = false;                                                        // GUARDED_BY(mu)
  std::unordered_map<std::string, std::shared_ptr<connection>> conns;       // GUARDED_BY(mu)

  explicit impl(client_options o) : opts(std::move(o)) {
    runner = std::make_unique<io_runner>(opts.io_threads, std::chrono::milliseconds(10), [this] { sweep(); });
  }

  void sweep() {
    std::vector<std::shared_ptr<connection>> snapshot;
    {
      std::lock_guard lock(mu);
      for (auto& [a, c] : conns) snapshot.push_back(c);
    }
    auto now = clock::now();
    for (auto& c : snapshot) c->sweep(now);
  }

  // The open (or opening) connection to addr, creating it when needed.
  std::shared_ptr<connection> get(const std::string& addr, std::string* error, size_t slot = 0) {
    std::string host, port;
    if (!split_host_port(addr, host, port)) {
      if (error) *error = "bad address '" + addr + "' (want host:port)";
      return nullptr;
    }
    std::shared_ptr<connection> conn;
    {
      std::lock_guard lock(mu);
      if (shut) {
        if (error) *error = "client is shut down";
        return nullptr;
      }
      const std::string key = slot == 0 ? addr : addr + "#" + std::to_string(slot);
      auto it = conns.find(key);
      if (it != conns.end() && it->second->is_open()) return it->second;
      connection_options co{opts.max_frame_size, opts.write_queue_soft_limit, opts.write_queue_hard_limit,
                            opts.idle_timeout, opts.max_inflight_requests, opts.name};
      conn = std::make_shared<connection>(
          tcp::socket(asio::make_strand(runner->io())), co, &disp, &opaque_gen,
          [this, key](const std::shared_ptr<connection>& c) {
            std::lock_guard lock2(mu);
            auto it2 = conns.find(key);
            if (it2 != conns.end() && it2->second == c) conns.erase(it2);
          });
      conns[key] = conn;
    }
    conn->start_connect(host, port, opts.connect_timeout);
    return conn;
  }
};

remoting_client::remoting_client(client_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

remoting_client::~remoting_client() { shutdown(); }

void remoting_client::register_processor(int32_t code, processor_fn fn, std::shared_ptr<bounded_executor> pool) {
  impl_->disp.add(code, std::move(fn), std::move(pool));
}

invoke_result remoting_client::invoke_sync(const std::string& addr, remoting_command req,
                                           std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<invoke_result>>();
  auto future = promise->get_future();
  invoke_async(addr, std::move(req), timeout, [promise](invoke_result r) { promise->set_value(std::move(r)); });
  return future.get();
}

void remoting_client::invoke_async(const std::string& addr, remoting_command req, std::chrono::milliseconds timeout,
                                   invoke_callback cb) {
  std::string error;
  auto conn = impl_->get(addr, &error);
  if (!conn) {
    cb(invoke_result{errc::connect_failed, error, {}});
    return;
  }
  conn->invoke_async(std::move(req), timeout, std::move(cb));
}

errc remoting_client::invoke_oneway(const std::string& addr, remoting_command req) {
  auto conn = impl_->get(addr, nullptr);
  if (!conn) return errc::connect_failed;
  return conn->invoke_oneway(std::move(req));
}

channel_ptr remoting_client::get_channel(const std::string& addr) { return impl_->get(addr, nullptr); }

channel_ptr remoting_client::get_channel(const std::string& addr, size_t slot) {
  return impl_->get(addr, nullptr, slot);
}

void remoting_client::close_channel(const std::string& addr) {
  std::shared_ptr<connection> c;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->conns.find(addr);
    if (it == impl_->conns.end()) return;
    c = it->second;
    impl_->conns.erase(it);
  }
  c->close();
}

void remoting_client::shutdown() {
  std::vector<std::shared_ptr<connection>> snapshot;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->shut) return;
    impl_->shut = true;
    for (auto& [a, c] : impl_->conns) snapshot.push_back(c);
  }
  for (auto& c : snapshot) c->close_with(errc::shutting_down, "client shutdown");
  for (int i = 0; i < 200; ++i) {
    bool all_closed = true;
    for (auto& c : snapshot) all_closed = all_closed && !c->is_open();
    if (all_closed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Give the close handlers (which fail pending invokes) a moment, then stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  impl_->runner->stop();
  {
    std::lock_guard lock(impl_->mu);
    impl_->conns.clear();
  }
}

}  // namespace mq::remoting
