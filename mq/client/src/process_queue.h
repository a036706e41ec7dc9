// The messages of one assigned queue between pull and consume (Java
// ProcessQueue). The offset a consumer may commit is the smallest offset
// still cached or in flight, so committing never skips an unconsumed
// message; an empty queue commits max seen + 1.
//
// Thread-safety: every member locks mu_; the pull loop and consume threads
// share it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "mq/common/message.h"

namespace mq::client {

class process_queue {
 public:
  using clock = std::chrono::steady_clock;

  // Adds pulled messages (duplicates by offset are ignored). Returns true if
  // any was new.
  bool put(std::vector<message_ext> msgs) {
    std::lock_guard lk(mu_);
    bool any = false;
    for (auto& m : msgs) {
      int64_t off = m.queue_offset;
      size_t size = m.body.size();
      if (msgs_.emplace(off, std::move(m)).second) {
        any = true;
        bytes_ += size;
        if (off > max_offset_) max_offset_ = off;
      }
    }
    return any;
  }

  // Removes consumed messages; returns the offset to commit, or −1 when
  // nothing was cached (caller keeps its offset).
  int64_t remove(const std::vector<int64_t>& offsets) {
    std::lock_guard lk(mu_);
    if (msgs_.empty() && consuming_.empty()) return -1;
    for (int64_t o : offsets) erase_locked(o);
    return commit_point_locked();
  }

  // Orderly mode: move up to `n` of the lowest offsets into the consuming set.
  std::vector<message_ext> take(size_t n) {
    std::lock_guard lk(mu_);
    std::vector<message_ext> out;
    while (out.size() < n && !msgs_.empty()) {
      auto it = msgs_.begin();
      out.push_back(it->second);
      consuming_.insert(msgs_.extract(it));
    }
    return out;
  }
  // Orderly: the consuming set is done; returns the offset to commit.
  int64_t commit() {
    std::lock_guard lk(mu_);
    for (auto& [o, m] : consuming_) bytes_ -= std::min(bytes_, m.body.size());
    consuming_.clear();
    return commit_point_locked();
  }
  // Orderly: put the consuming set back to be taken again, with the
  // reconsume counts the caller updated in `msgs`.
  void rollback(const std::vector<message_ext>& msgs) {
    std::lock_guard lk(mu_);
    for (auto& m : msgs) consuming_[m.queue_offset] = m;
    msgs_.merge(consuming_);
    consuming_.clear();
  }

  size_t count() const {
    std::lock_guard lk(mu_);
    return msgs_.size() + consuming_.size();
  }
  size_t bytes() const {
    std::lock_guard lk(mu_);
    return bytes_;
  }
  // Offset span of what is cached (0 when empty).
  int64_t span() const {
    std::lock_guard lk(mu_);
    if (msgs_.empty()) return 0;
    return msgs_.rbegin()->first - msgs_.begin()->first;
  }
  bool empty() const { return count() == 0; }

  std::atomic<bool> dropped{false};
  // Orderly: the broker lock and when it was last confirmed.
  std::atomic<bool> locked{false};
  std::atomic<int64_t> last_lock_ms{0};
  // Orderly: serializes consumption of this queue.
  std::mutex consume_mu;
  // Orderly: a consume task for this queue is queued or running.
  std::atomic<bool> scheduled{false};

 private:
  void erase_locked(int64_t o) {
    auto it = msgs_.find(o);
    if (it == msgs_.end()) return;
    bytes_ -= std::min(bytes_, it->second.body.size());
    msgs_.erase(it);
  }
  int64_t commit_point_locked() const {
    int64_t lo = -1;
    if (!consuming_.empty()) lo = consuming_.begin()->first;
    if (!msgs_.empty() && (lo < 0 || msgs_.begin()->first < lo)) lo = msgs_.begin()->first;
    return lo >= 0 ? lo : max_offset_ + 1;
  }

  mutable std::mutex mu_;
  std::map<int64_t, message_ext> msgs_;       // GUARDED_BY(mu_) cached, not yet taken
  std::map<int64_t, message_ext> consuming_;  // GUARDED_BY(mu_) orderly: taken, in flight
  size_t bytes_ = 0;                          // GUARDED_BY(mu_)
  int64_t max_offset_ = -1;                   // GUARDED_BY(mu_)
};

}  // namespace mq::client
