#include "mq/store/consume_queue.h"

#include <climits>
#include <cstring>

#include "bytes.h"
#include "log.h"

namespace mq::store {

consume_queue::consume_queue(std::string topic, int32_t queue_id, const std::string& root_dir, int64_t file_size)
    : topic_(std::move(topic)),
      queue_id_(queue_id),
      files_(root_dir + "/" + topic_ + "/" + std::to_string(queue_id), file_size - file_size % kCqUnitSize) {}

bool consume_queue::load(std::string* error) { return files_.load(error); }

std::optional<cq_unit> consume_queue::read_unit(const mapped_file& f, int64_t pos) const {
  if (pos + kCqUnitSize > f.file_size()) return std::nullopt;
  const char* p = f.base() + pos;
  cq_unit u{get_i64(p), get_i32(p + 8), get_i64(p + 12)};
  return u;
}

void consume_queue::recover() {
  auto all = files_.files();
  if (all.empty()) return;
  size_t idx = all.size() >= 3 ? all.size() - 3 : 0;
  int64_t valid_end = all[idx]->from_offset();
  int64_t max_phys = -1;
  bool stop = false;
  for (; idx < all.size() && !stop; ++idx) {
    auto& f = all[idx];
    int64_t pos = 0;
    for (; pos + kCqUnitSize <= f->file_size(); pos += kCqUnitSize) {
      auto u = read_unit(*f, pos);
      if (u->commit_log_offset >= 0 && u->size > 0) {
        if (u->size != INT_MAX) max_phys = u->commit_log_offset + u->size;  // skip blank fillers
        valid_end = f->from_offset() + pos + kCqUnitSize;
      } else {
        stop = true;
        break;
      }
    }
  }
  files_.truncate_dirty(valid_end);
  files_.set_flushed_where(valid_end);
  max_physic_offset_.store(max_phys);
  auto first = files_.first_file();
  if (first && min_logic_offset_.load() < first->from_offset()) min_logic_offset_.store(first->from_offset());
}

int64_t consume_queue::max_offset() { return files_.max_offset() / kCqUnitSize; }

bool consume_queue::put(int64_t commit_log_offset, int32_t size, int64_t tags_code, int64_t cq_offset) {
  int64_t expect = cq_offset * kCqUnitSize;
  int64_t current = files_.max_offset();
  if (files_.last_file() == nullptr) {
    // First unit of a queue that may start above zero (after deletions).
    current = expect - expect % files_.file_size();
    min_logic_offset_.store(expect);
  }
  if (expect < current) return true;  // already there (re-dispatch)
  std::string err;
  char unit[kCqUnitSize];
  while (current <= expect) {
    auto f = files_.last_file_or_create(current, &err);
    if (!f) {
      log()->error("consume queue {}/{}: {}", topic_, queue_id_, err);
      return false;
    }
    if (f->from_offset() + f->wrote_position() != current) {
      // The file was just created at an aligned start below `current`.
      f->reset_positions(current - f->from_offset(), current - f->from_offset());
    }
    if (current < expect) {
      put_i64(unit, 0);
      put_i32(unit + 8, INT_MAX);
      put_i64(unit + 12, 0);
    } else {
      put_i64(unit, commit_log_offset);
      put_i32(unit + 8, size);
      put_i64(unit + 12, tags_code);
    }
    f->append(std::string_view(unit, kCqUnitSize));
    current += kCqUnitSize;
  }
  max_physic_offset_.store(commit_log_offset + size);
  return true;
}

std::optional<cq_unit> consume_queue::get(int64_t cq_offset) {
  if (cq_offset < min_offset()) return std::nullopt;
  int64_t pos = cq_offset * kCqUnitSize;
  auto f = files_.find_by_offset(pos);
  if (!f) return std::nullopt;
  int64_t in = pos - f->from_offset();
  if (in + kCqUnitSize > f->wrote_position()) return std::nullopt;
  return read_unit(*f, in);
}

std::vector<cq_unit> consume_queue::get_batch(int64_t cq_offset, size_t max_units) {
  std::vector<cq_unit> out;
  if (cq_offset < min_offset()) return out;
  int64_t pos = cq_offset * kCqUnitSize;
  auto f = files_.find_by_offset(pos);
  if (!f) return out;
  int64_t in = pos - f->from_offset();
  int64_t end = f->wrote_position();
  out.reserve(max_units);
  for (; in + kCqUnitSize <= end && out.size() < max_units; in += kCqUnitSize) out.push_back(*read_unit(*f, in));
  return out;
}

int64_t consume_queue::offset_by_time(int64_t timestamp,
                                      const std::function<int64_t(int64_t, int32_t)>& store_time_of) {
  int64_t lo = min_offset();
  int64_t hi = max_offset();  // answer in [lo, hi]
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    auto u = get(mid);
    int64_t t = u ? store_time_of(u->commit_log_offset, u->size) : -1;
    if (t < 0) {
      // Unreadable (blank filler or deleted data): treat as older.
      lo = mid + 1;
    } else if (t >= timestamp) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

void consume_queue::truncate_dirty(int64_t phys_offset) {
  // Walk back from the end while units point at or past phys_offset.
  int64_t end = files_.max_offset();
  int64_t min = min_logic_offset_.load();
  int64_t new_max_phys = -1;
  while (end - kCqUnitSize >= min) {
    auto u = get((end - kCqUnitSize) / kCqUnitSize);
    if (!u) break;
    if (u->size != INT_MAX && u->commit_log_offset < phys_offset) {
      new_max_phys = u->commit_log_offset + u->size;
      break;
    }
    end -= kCqUnitSize;
  }
  if (end < files_.max_offset()) {
    log()->info("consume queue {}/{}: truncated to queue offset {} (commit log end {})", topic_, queue_id_,
                end / kCqUnitSize, phys_offset);
    files_.truncate_dirty(end);
  }
  max_physic_offset_.store(new_max_phys);
}

int consume_queue::delete_expired(int64_t min_phys_offset) {
  int n = files_.delete_files_while(
      [&](const mapped_file& f) {
        // The file's last unit tells whether all of it is below the limit.
        int64_t last = f.wrote_position() - kCqUnitSize;
        if (last < 0) return false;
        auto u = read_unit(f, last);
        return u && u->commit_log_offset + u->size <= min_phys_offset;
      },
      INT_MAX);
  correct_min_offset(min_phys_offset);
  return n;
}

void consume_queue::correct_min_offset(int64_t min_phys_offset) {
  auto f = files_.first_file();
  if (!f) return;
  int64_t pos = std::max<int64_t>(min_logic_offset_.load() - f->from_offset(), 0);
  for (; pos + kCqUnitSize <= f->wrote_position(); pos += kCqUnitSize) {
    auto u = read_unit(*f, pos);
    if (u->size != INT_MAX && u->commit_log_offset >= min_phys_offset) break;
  }
  min_logic_offset_.store(f->from_offset() + pos);
}

}  // namespace mq::store
