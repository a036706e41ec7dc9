#include "shop/common/fault_plan.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace shop {

mq::result<fault_plan> fault_plan::parse(std::string_view text) {
  fault_plan p;
  while (!text.empty()) {
    auto semi = text.find(';');
    auto item = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (item.empty()) continue;
    auto bad = [&](const char* why) {
      return mq::status::error(mq::errc::invalid_argument, "fault plan entry '" + std::string(item) + "': " + why);
    };
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return bad("want point=action");
    std::string point(item.substr(0, eq));
    for (char c : point)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return bad("point names are [a-z0-9_]+");
    auto action = item.substr(eq + 1);
    entry e;
    if (auto at = action.find('@'); at != std::string_view::npos) {
      auto n = action.substr(at + 1);
      if (n.empty() || n.size() > 9) return bad("@N wants a positive number");
      for (char c : n)
        if (c < '0' || c > '9') return bad("@N wants a positive number");
      e.nth = std::stoll(std::string(n));
      if (e.nth <= 0) return bad("@N wants a positive number");
      action = action.substr(0, at);
    }
    if (action == "fail") {
      e.action = fault_action::fail;
    } else if (action == "exit") {
      e.action = fault_action::exit;
    } else if (action.starts_with("delay:")) {
      auto ms = action.substr(6);
      if (ms.empty() || ms.size() > 6) return bad("delay:<ms> wants 0..600000");
      for (char c : ms)
        if (c < '0' || c > '9') return bad("delay:<ms> wants 0..600000");
      int64_t v = std::stoll(std::string(ms));
      if (v > 600000) return bad("delay:<ms> wants 0..600000");
      e.action = fault_action::delay;
      e.delay = std::chrono::milliseconds(v);
    } else {
      return bad("action must be fail, exit or delay:<ms>");
    }
    if (p.entries_.contains(point)) return bad("point listed twice");
    p.entries_[point] = std::move(e);
  }
  return p;
}

mq::result<fault_plan> fault_plan::from_env(const char* var) {
  const char* v = std::getenv(var);
  if (!v) return fault_plan{};
  return parse(v);
}

fault_action fault_plan::check(const std::string& point, std::chrono::milliseconds* delay) const {
  auto it = entries_.find(point);
  if (it == entries_.end()) return fault_action::none;
  int64_t n = it->second.hits->fetch_add(1) + 1;
  if (it->second.nth != 0 && n != it->second.nth) return fault_action::none;
  if (delay) *delay = it->second.delay;
  return it->second.action;
}

bool fault_plan::hit(const std::string& point) const {
  std::chrono::milliseconds d{0};
  switch (check(point, &d)) {
    case fault_action::none: return false;
    case fault_action::fail: return true;
    case fault_action::exit:
      ::kill(::getpid(), SIGKILL);  // a crash: no destructors, no flush, no exit handlers
      ::_exit(86);
    case fault_action::delay: std::this_thread::sleep_for(d); return false;
  }
  return false;
}

std::string fault_plan::describe() const {
  std::string out;
  for (auto& [p, e] : entries_) {
    if (!out.empty()) out += ';';
    out += p + "=" +
           (e.action == fault_action::fail   ? "fail"
            : e.action == fault_action::exit ? "exit"
                                             : "delay:" + std::to_string(e.delay.count()));
    if (e.nth) out += "@" + std::to_string(e.nth);
  }
  return out;
}

}  // namespace shop
