// Fault injection for the failure tests (shop.md "Fault injection"). A plan
// comes only from the environment variable SHOP_FAULTS, which exists only in
// test runs; when it is unset, check() always answers none and no fault code
// path can be reached from outside.
//
//   SHOP_FAULTS="after_reduce_goods=fail;before_confirm=exit@2;pay_after_half_message=delay:500"
//
// Grammar: entries separated by ';', each `point=action[@N]`; point is
// [a-z0-9_]+; action is `fail` (the step reports a failure), `exit` (the
// process kills itself with SIGKILL, as a crash would), or `delay:<ms>`
// (sleeps, ms ≤ 600000); `@N` fires only on the N-th hit of that point
// (1-based), otherwise every hit. A malformed plan is an error naming the
// bad entry, and the service refuses to start.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "mq/common/result.h"

namespace shop {

enum class fault_action { none, fail, exit, delay };

class fault_plan {
 public:
  static mq::result<fault_plan> parse(std::string_view text);
  // The plan in SHOP_FAULTS (`var` for tests); empty when unset.
  static mq::result<fault_plan> from_env(const char* var = "SHOP_FAULTS");

  // Counts a hit of `point` and returns what to do. Thread-safe.
  fault_action check(const std::string& point, std::chrono::milliseconds* delay = nullptr) const;
  // check() and act: exit → SIGKILL to itself; delay → sleep; returns true for fail.
  bool hit(const std::string& point) const;
  bool empty() const { return entries_.empty(); }
  std::string describe() const;

 private:
  struct entry {
    fault_action action = fault_action::none;
    std::chrono::milliseconds delay{0};
    int64_t nth = 0;  // 0 = every hit
    std::shared_ptr<std::atomic<int64_t>> hits = std::make_shared<std::atomic<int64_t>>(0);
  };
  std::map<std::string, entry> entries_;
};

}  // namespace shop
