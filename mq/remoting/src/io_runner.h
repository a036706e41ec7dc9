// Private: an io_context run by N threads, with a work guard, and a periodic
// sweeper tick (timeouts of pending invokes).
#pragma once

#include <functional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace mq::remoting::detail {

class io_runner {
 public:
  io_runner(size_t threads, std::chrono::milliseconds tick, std::function<void()> on_tick)
      : io_(static_cast<int>(threads)),
        guard_(boost::asio::make_work_guard(io_)),
        timer_(io_),
        tick_(tick),
        on_tick_(std::move(on_tick)) {
    arm();
    for (size_t i = 0; i < (threads == 0 ? 1 : threads); ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~io_runner() { stop(); }

  boost::asio::io_context& io() { return io_; }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    guard_.reset();
    io_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void arm() {
    timer_.expires_after(tick_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      on_tick_();
      arm();
    });
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds tick_;
  std::function<void()> on_tick_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace mq::remoting::detail
