#include "mq/store/commit_log.h"

#include <charconv>
#include <chrono>
#include <cstring>

#include "bytes.h"
#include "log.h"

namespace mq::store {
namespace {
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::string queue_key(std::string_view topic, int32_t queue_id) {
  std::string k(topic);
  k.push_back('-');
  k += std::to_string(queue_id);
  return k;
}
// The same key built into a reused buffer (no allocation on the hot path).
const std::string& queue_key_tls(std::string_view topic, int32_t queue_id) {
  thread_local std::string k;
  k.assign(topic);
  k.push_back('-');
  char buf[16];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, queue_id);
  (void)ec;
  k.append(buf, p);
  return k;
}
}  // namespace

commit_log::commit_log(std::string dir, int64_t file_size, bool preallocate, bool warm)
    : file_size_(file_size), files_(std::move(dir), file_size, preallocate, warm) {}

append_result commit_log::append(std::vector<std::string>& records, std::string_view topic, int32_t queue_id,
                                 int32_t sys_flag) {
  append_result r;
  int64_t total = 0;
  for (auto& rec : records) total += static_cast<int64_t>(rec.size());
  if (records.empty() || total + 8 > file_size_) {
    r.status = append_status::message_illegal;
    r.error = "record size " + std::to_string(total) + " does not fit a commit-log file";
    return r;
  }
  const int32_t tran = sys_flag & kSysFlagTransactionMask;
  const bool counts = tran == kTransactionNot || tran == kTransactionCommit;
  const int ts_pos = store_timestamp_pos(sys_flag);
  const std::string& key = queue_key_tls(topic, queue_id);

  std::lock_guard lock(put_mu_);
  std::string err;
  auto f = files_.last_file_or_create(0, &err);
  if (!f) {
    r.status = append_status::create_mapped_file_failed;
    r.error = err;
    return r;
  }
  if (total + 8 > f->remaining()) {
    // End-of-file blank, then roll.
    int64_t remaining = f->remaining();
    char* p = f->base() + f->wrote_position();
    put_i32(p, static_cast<int32_t>(remaining));
    put_i32(p + 4, static_cast<int32_t>(kBlankMagic));
    f->advance(remaining);
    f = files_.create_next(&err);
    if (!f) {
      r.status = append_status::create_mapped_file_failed;
      r.error = err;
      return r;
    }
  }
  auto it = queue_table_.find(key);
  if (it == queue_table_.end()) it = queue_table_.emplace(key, 0).first;
  int64_t& next = it->second;
  int64_t store_ts = now_ms();
  int64_t phys = f->from_offset() + f->wrote_position();
  char* dst = f->base() + f->wrote_position();
  r.wrote_offset = phys;
  r.queue_offset = counts ? next : 0;
  r.store_timestamp = store_ts;
  r.offsets.reserve(records.size());
  for (auto& rec : records) {
    char* p = rec.data();
    put_i64(p + kPosQueueOffset, counts ? next : 0);
    put_i64(p + kPosPhysicalOffset, phys);
    put_i64(p + ts_pos, store_ts);
    std::memcpy(dst, rec.data(), rec.size());
    dst += rec.size();
    r.offsets.push_back(phys);
    phys += static_cast<int64_t>(rec.size());
    if (counts) ++next;
  }
  f->advance(total);
  r.end_offset = phys;
  r.msg_num = static_cast<int32_t>(records.size());
  r.status = append_status::ok;
  last_store_timestamp_.store(store_ts);
  return r;
}

std::optional<commit_log::slice> commit_log::read(int64_t offset, int32_t size) {
  auto f = files_.find_by_offset(offset);
  if (!f || size < 0) return std::nullopt;
  int64_t pos = offset - f->from_offset();
  if (pos + size > f->wrote_position()) return std::nullopt;
  return slice{f, std::string_view(f->base() + pos, static_cast<size_t>(size))};
}

bool commit_log::append_raw(int64_t offset, std::string_view data, std::string* error) {
  std::lock_guard lock(put_mu_);
  int64_t max = files_.max_offset();
  bool empty = !files_.last_file();
  if (!empty && offset != max) {
    *error = "replicated chunk at " + std::to_string(offset) + " but the commit log ends at " + std::to_string(max);
    return false;
  }
  // An empty slave normally starts at a file boundary (the master streams
  // from the start of its last file); otherwise the bytes before `offset`
  // stay zero and are never read.
  auto f = files_.last_file_or_create(offset, error);
  if (!f) return false;
  if (empty && offset != f->from_offset()) f->advance(offset - f->from_offset());
  if (static_cast<int64_t>(data.size()) > f->remaining()) {
    *error = "replicated chunk of " + std::to_string(data.size()) + " bytes at " + std::to_string(offset) +
             " crosses the end of its file";
    return false;
  }
  if (!f->append(data)) {
    *error = "append failed";
    return false;
  }
  return true;
}

std::optional<commit_log::slice> commit_log::read_from(int64_t offset) {
  auto f = files_.find_by_offset(offset);
  if (!f) return std::nullopt;
  int64_t pos = offset - f->from_offset();
  int64_t end = f->wrote_position();
  if (pos >= end) return std::nullopt;
  return slice{f, std::string_view(f->base() + pos, static_cast<size_t>(end - pos))};
}

bool commit_log::flush(int least_pages) {
  // Records stored before this point are below the write position now, so
  // a successful flush covers them.
  int64_t ts = last_store_timestamp_.load();
  int64_t target = files_.max_offset();
  int64_t before = files_.flushed_where();
  auto t0 = std::chrono::steady_clock::now();
  if (!files_.flush(least_pages)) return false;
  if (files_.flushed_where() > before) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    size_t b = 0;
    while (b < kFlushBuckets.size() && secs > kFlushBuckets[b]) ++b;
    flush_buckets_[b].fetch_add(1, std::memory_order_relaxed);
    flush_count_.fetch_add(1, std::memory_order_relaxed);
    flush_ns_.fetch_add(static_cast<uint64_t>(secs * 1e9), std::memory_order_relaxed);
  }
  if (files_.flushed_where() >= target) flushed_store_timestamp_.store(ts);
  return true;
}

commit_log::flush_histogram commit_log::flush_latency() const {
  flush_histogram h;
  uint64_t run = 0;
  for (size_t i = 0; i < kFlushBuckets.size(); ++i) h.le[i] = run += flush_buckets_[i].load(std::memory_order_relaxed);
  h.count = flush_count_.load(std::memory_order_relaxed);
  h.sum_seconds = static_cast<double>(flush_ns_.load(std::memory_order_relaxed)) / 1e9;
  return h;
}

int64_t commit_log::min_offset() {
  auto f = files_.first_file();
  return f ? f->from_offset() : 0;
}

void commit_log::set_topic_queue_table(const std::map<std::string, int64_t>& table) {
  std::lock_guard lock(put_mu_);
  queue_table_.clear();
  queue_table_.insert(table.begin(), table.end());
}

void commit_log::remove_queue_from_table(const std::string& topic, int32_t queue_id) {
  std::lock_guard lock(put_mu_);
  queue_table_.erase(queue_key(topic, queue_id));
}

int64_t commit_log::next_queue_offset(const std::string& topic, int32_t queue_id) {
  std::lock_guard lock(put_mu_);
  auto it = queue_table_.find(queue_key(topic, queue_id));
  return it == queue_table_.end() ? 0 : it->second;
}

int64_t commit_log::recover(size_t start_file_index, bool check_crc,
                            const std::function<void(const record_fields&, int64_t offset)>& on_record) {
  auto all = files_.files();
  if (all.empty()) return 0;
  if (start_file_index >= all.size()) start_file_index = all.size() - 1;
  int64_t valid_end = all[start_file_index]->from_offset();
  bool stop = false;
  for (size_t i = start_file_index; i < all.size() && !stop; ++i) {
    auto& f = all[i];
    std::string_view data(f->base(), static_cast<size_t>(f->file_size()));
    size_t pos = 0;
    while (pos < data.size()) {
      record_fields rf;
      auto st = parse_record(data.substr(pos), check_crc, rf);
      if (st == parse_status::ok) {
        int64_t off = f->from_offset() + static_cast<int64_t>(pos);
        if (rf.physical_offset != off) {
          log()->warn("recovery: record at {} claims offset {}; cutting the log here", off, rf.physical_offset);
          stop = true;
          break;
        }
        on_record(rf, off);
        pos += static_cast<size_t>(rf.total_size);
        valid_end = f->from_offset() + static_cast<int64_t>(pos);
        continue;
      }
      if (st == parse_status::blank) {
        // Valid only if it fills the file exactly; the next file continues.
        int32_t rem = get_i32(data.data() + pos);
        if (static_cast<size_t>(rem) == data.size() - pos) {
          valid_end = f->from_offset() + f->file_size();
          break;
        }
        log()->warn("recovery: bad blank record at {}", f->from_offset() + static_cast<int64_t>(pos));
        stop = true;
        break;
      }
      if (st == parse_status::corrupt || st == parse_status::crc_mismatch) {
        log()->warn("recovery: {} record at offset {}; the log is cut there",
                    st == parse_status::crc_mismatch ? "CRC mismatch in" : "torn or corrupt",
                    f->from_offset() + static_cast<int64_t>(pos));
      }
      stop = true;  // end of data
      break;
    }
    if (!stop && pos >= data.size() && i + 1 < all.size()) {
      // File completely filled by records (no blank needed): continue.
      valid_end = f->from_offset() + f->file_size();
    }
  }
  log()->info("commit log recovered up to offset {}", valid_end);
  files_.truncate_dirty(valid_end);
  // Everything left is what was on disk when we started: treat it as flushed.
  auto last = files_.last_file();
  if (last) last->reset_positions(last->wrote_position(), last->wrote_position());
  files_.set_flushed_where(valid_end);
  return valid_end;
}

}  // namespace mq::store
