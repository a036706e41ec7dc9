// 64-bit snowflake ids (the seed's IDWorker) and their JSON form.
//
//   bit 63: 0 | 41 bits: ms since 2020-01-01T00:00:00Z | 10 bits: worker | 12 bits: sequence
//
// Strictly increasing per worker. Up to 4096 ids per ms; the next waits for
// the next ms. If the clock steps back, next() waits up to max_backstep for
// it to catch up and otherwise fails (never a duplicate).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "mq/common/result.h"

namespace shop {

class id_worker {
 public:
  static constexpr int64_t epoch_ms = 1577836800000;  // 2020-01-01T00:00:00Z
  static constexpr int worker_bits = 10, sequence_bits = 12;
  static constexpr int64_t max_worker = (1 << worker_bits) - 1;

  using clock_fn = std::function<int64_t()>;  // ms since the Unix epoch

  // Errors: invalid_argument for a worker id outside 0..1023.
  static mq::result<std::unique_ptr<id_worker>> make(int64_t worker_id,
                                                     std::chrono::milliseconds max_backstep = std::chrono::milliseconds(5),
                                                     clock_fn clock = nullptr);

  // Errors: unsupported when the clock went back more than max_backstep.
  mq::result<int64_t> next();

  static int64_t worker_of(int64_t id) { return (id >> sequence_bits) & max_worker; }
  static int64_t time_of(int64_t id) { return (id >> (worker_bits + sequence_bits)) + epoch_ms; }

 private:
  id_worker(int64_t worker, std::chrono::milliseconds max_backstep, clock_fn clock);
  const int64_t worker_;
  const std::chrono::milliseconds max_backstep_;
  clock_fn clock_;
  std::mutex mu_;
  int64_t last_ms_ = -1;  // GUARDED_BY(mu_)
  int64_t sequence_ = 0;  // GUARDED_BY(mu_)
};

// An id from JSON: a string of decimal digits or a non-negative integer
// (ids travel as strings because browsers lose precision past 2^53).
// Errors: invalid_argument naming `field`.
mq::result<int64_t> id_from_json(const nlohmann::json& j, const std::string& field);
// The same from a path segment ("/goods/{id}").
mq::result<int64_t> id_from_text(std::string_view text, const std::string& field);

}  // namespace shop
