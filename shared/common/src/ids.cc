#include "shop/common/ids.h"

#include <thread>

#include <nlohmann/json.hpp>

namespace shop {

namespace {
int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

mq::result<std::unique_ptr<id_worker>> id_worker::make(int64_t worker_id, std::chrono::milliseconds max_backstep,
                                                       clock_fn clock) {
  if (worker_id < 0 || worker_id > max_worker)
    return mq::status::error(mq::errc::invalid_argument,
                             "worker id " + std::to_string(worker_id) + " is outside 0.." + std::to_string(max_worker));
  return std::unique_ptr<id_worker>(new id_worker(worker_id, max_backstep, clock ? std::move(clock) : system_ms));
}

id_worker::id_worker(int64_t worker, std::chrono::milliseconds max_backstep, clock_fn clock)
    : worker_(worker), max_backstep_(max_backstep), clock_(std::move(clock)) {}

mq::result<int64_t> id_worker::next() {
  std::lock_guard lk(mu_);
  int64_t now = clock_();
  if (now < last_ms_) {
    if (last_ms_ - now > max_backstep_.count())
      return mq::status::error(mq::errc::unsupported, "clock moved back " + std::to_string(last_ms_ - now) +
                                                          " ms; refusing to generate ids");
    while (now < last_ms_) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      now = clock_();
    }
  }
  if (now == last_ms_) {
    sequence_ = (sequence_ + 1) & ((1 << sequence_bits) - 1);
    if (sequence_ == 0) {
      while (now <= last_ms_) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        now = clock_();
      }
    }
  } else {
    sequence_ = 0;
  }
  last_ms_ = now;
  return ((now - epoch_ms) << (worker_bits + sequence_bits)) | (worker_ << sequence_bits) | sequence_;
}

mq::result<int64_t> id_from_text(std::string_view t, const std::string& field) {
  auto bad = mq::status::error(mq::errc::invalid_argument, field + " must be a positive integer id");
  if (t.empty() || t.size() > 19) return bad;
  int64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return bad;
    if (v > (INT64_MAX - (c - '0')) / 10) return bad;
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return bad;
  return v;
}

mq::result<int64_t> id_from_json(const nlohmann::json& j, const std::string& field) {
  if (j.is_string()) return id_from_text(j.get<std::string>(), field);
  if (j.is_number_unsigned() || j.is_number_integer()) {
    if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return mq::status::error(mq::errc::invalid_argument, field + " is out of range");
    int64_t v = j.get<int64_t>();
    if (v <= 0) return mq::status::error(mq::errc::invalid_argument, field + " must be a positive integer id");
    return v;
  }
  return mq::status::error(mq::errc::invalid_argument, field + " must be an id (string or integer)");
}

}  // namespace shop
