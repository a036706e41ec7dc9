#include "mq/store/message_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "log.h"
#include "mq/common/tag_hash.h"
#include "mq/store/checkpoint.h"
#include "mq/store/commit_log.h"
#include "mq/store/consume_queue.h"
#include "mq/store/flush_service.h"
#include "mq/store/ha.h"
#include "mq/store/index_file.h"
#include "mq/store/record.h"

namespace mq::store {

namespace fs = std::filesystem;

const char* to_string(put_status s) {
  switch (s) {
    case put_status::put_ok: return "PUT_OK";
    case put_status::flush_disk_timeout: return "FLUSH_DISK_TIMEOUT";
    case put_status::flush_slave_timeout: return "FLUSH_SLAVE_TIMEOUT";
    case put_status::slave_not_available: return "SLAVE_NOT_AVAILABLE";
    case put_status::service_not_available: return "SERVICE_NOT_AVAILABLE";
    case put_status::create_mapped_file_failed: return "CREATE_MAPEDFILE_FAILED";
    case put_status::message_illegal: return "MESSAGE_ILLEGAL";
    case put_status::properties_size_exceeded: return "PROPERTIES_SIZE_EXCEEDED";
    case put_status::os_pagecache_busy: return "OS_PAGECACHE_BUSY";
    case put_status::unknown_error: return "UNKNOWN_ERROR";
  }
  return "?";
}

const char* to_string(get_status s) {
  switch (s) {
    case get_status::found: return "FOUND";
    case get_status::no_matched_message: return "NO_MATCHED_MESSAGE";
    case get_status::message_was_removing: return "MESSAGE_WAS_REMOVING";
    case get_status::offset_found_null: return "OFFSET_FOUND_NULL";
    case get_status::offset_overflow_badly: return "OFFSET_OVERFLOW_BADLY";
    case get_status::offset_overflow_one: return "OFFSET_OVERFLOW_ONE";
    case get_status::offset_too_small: return "OFFSET_TOO_SMALL";
    case get_status::no_matched_logic_queue: return "NO_MATCHED_LOGIC_QUEUE";
    case get_status::no_message_in_queue: return "NO_MESSAGE_IN_QUEUE";
  }
  return "?";
}

bool parse_delay_levels(const std::string& text, std::vector<int64_t>& out_ms) {
  out_ms.clear();
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) break;
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    std::string tok = text.substr(i, j - i);
    i = j;
    if (tok.size() < 2) return false;
    char unit = tok.back();
    int64_t mult = unit == 's' ? 1000 : unit == 'm' ? 60000 : unit == 'h' ? 3600000 : unit == 'd' ? 86400000 : 0;
    if (mult == 0) return false;
    std::string num = tok.substr(0, tok.size() - 1);
    if (num.empty() || !std::all_of(num.begin(), num.end(), ::isdigit) || num.size() > 9) return false;
    out_ms.push_back(std::stoll(num) * mult);
  }
  return !out_ms.empty();
}

namespace {

constexpr std::string_view kScheduleTopic = "SCHEDULE_TOPIC_XXXX";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Value of one property in a RocketMQ properties string (k\1v\2k\1v...),
// without building a map.
std::string_view find_property(std::string_view props, std::string_view key) {
  size_t i = 0;
  while (i < props.size()) {
    size_t end = props.find('\x02', i);
    if (end == std::string_view::npos) end = props.size();
    std::string_view seg = props.substr(i, end - i);
    size_t sep = seg.find('\x01');
    if (sep != std::string_view::npos && seg.substr(0, sep) == key) return seg.substr(sep + 1);
    i = end + 1;
  }
  return {};
}

int disk_used_percent(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0 || st.f_blocks == 0) return 0;
  // Java's UtilAll.getDiskPartitionSpaceUsedPercent: (total - free) / total
  // with File.getFreeSpace = f_bfree. Not f_bavail: on file systems where
  // much of the space is unavailable to us (quotas, overlay, reserved
  // blocks) that would count it as used and trigger space-pressure
  // deletion of young commit-log files.
  double used = 1.0 - static_cast<double>(st.f_bfree) / static_cast<double>(st.f_blocks);
  return static_cast<int>(used * 100.0);
}

class default_message_store final : public message_store {
 public:
  explicit default_message_store(message_store_config cfg)
      : cfg_(std::move(cfg)),
        commit_log_(cfg_.commit_log_dir(), cfg_.mapped_file_size_commit_log, cfg_.preallocate_commit_log,
                    cfg_.warm_mapped_file_enable),
        index_(cfg_.index_dir(), cfg_.max_hash_slot_num, cfg_.max_index_num) {}

  ~default_message_store() override {
    shutdown();
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  bool start(std::string* error) {
    std::error_code ec;
    fs::create_directories(cfg_.store_path_root_dir, ec);
    if (ec) {
      *error = "cannot create " + cfg_.store_path_root_dir + ": " + ec.message();
      return false;
    }
    if (!parse_delay_levels(cfg_.message_delay_level, delay_levels_)) {
      *error = "malformed messageDelayLevel '" + cfg_.message_delay_level + "'";
      return false;
    }
    lock_fd_ = ::open(cfg_.lock_path().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      *error = "store " + cfg_.store_path_root_dir + " is locked by another process";
      return false;
    }
    abnormal_ = fs::exists(cfg_.abort_path(), ec);
    if (!checkpoint_.open(cfg_.checkpoint_path(), error)) return false;
    if (!commit_log_.load(error) || !load_consume_queues(error) || !index_.load(error)) return false;
    recover();
    // The abort file exists while we run (its presence at start = crash).
    int fd = ::open(cfg_.abort_path().c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    if (cfg_.flush_disk == flush_disk_type::sync_flush) {
      group_commit_ = std::make_unique<group_commit_service>(commit_log_);
      group_commit_->start();
    } else {
      async_flush_ = std::make_unique<async_flush_service>(commit_log_, cfg_.flush_interval_commit_log,
                                                           cfg_.flush_commit_log_least_pages,
                                                           cfg_.flush_commit_log_thorough_interval);
      async_flush_->start();
    }
    if (cfg_.role == store_role::slave) {
      ha_slave_ = std::make_unique<ha_slave>(
          commit_log_, cfg_,
          [this] {
            if (reput_idle_.load(std::memory_order_relaxed)) reput_cv_.notify_one();
          },
          [this](int64_t offset) { return truncate_for_ha(offset); });
      ha_slave_->start();
    } else if (cfg_.ha_listen_port > 0) {
      ha_master_ = std::make_unique<ha_master>(commit_log_, cfg_);
      if (!ha_master_->start(error)) return false;
    }
    running_.store(true);
    reput_thread_ = std::thread([this] { reput_loop(); });
    cq_flush_thread_ = std::thread([this] { cq_flush_loop(); });
    clean_thread_ = std::thread([this] { clean_loop(); });
    log()->info("store {} open: commit log [{}, {}), {} recovery", cfg_.store_path_root_dir,
                commit_log_.min_offset(), commit_log_.max_offset(), abnormal_ ? "abnormal" : "normal");
    return true;
  }

  // ---- put -------------------------------------------------------------

  // Checks and append; *end_offset = the commit-log end of the records.
  put_result append_records(put_request& req, int64_t* end_offset) {
    put_result r;
    if (!running_.load() || sticky_error()) {
      r.status = put_status::service_not_available;
      r.error = running_.load() ? "store refuses writes after an I/O error" : "store is shut down";
      return r;
    }
    if (disk_full_.load()) {
      r.status = put_status::service_not_available;
      r.error = "disk is full";
      return r;
    }
    if (cfg_.role == store_role::slave) {
      // Only its master's bytes go into a slave's commit log.
      r.status = put_status::service_not_available;
      r.error = "a slave's store takes no writes";
      return r;
    }
    for (auto& rec : req.records) {
      record_fields rf;
      if (parse_record(rec, false, rf) != parse_status::ok) {
        r.status = put_status::message_illegal;
        r.error = "malformed record";
        return r;
      }
      if (rf.body.size() > static_cast<size_t>(cfg_.max_message_size)) {
        r.status = put_status::message_illegal;
        r.error = "body of " + std::to_string(rf.body.size()) + " bytes exceeds maxMessageSize " +
                  std::to_string(cfg_.max_message_size);
        return r;
      }
    }
    auto a = commit_log_.append(req.records, req.topic, req.queue_id, req.sys_flag);
    switch (a.status) {
      case append_status::ok: break;
      case append_status::message_illegal:
        r.status = put_status::message_illegal;
        r.error = a.error;
        return r;
      case append_status::create_mapped_file_failed:
        r.status = put_status::create_mapped_file_failed;
        r.error = a.error;
        log()->error("cannot create commit-log file: {}", a.error);
        return r;
      default:
        r.status = put_status::unknown_error;
        return r;
    }
    r.wrote_offset = a.wrote_offset;
    r.queue_offset = a.queue_offset;
    r.store_timestamp = a.store_timestamp;
    r.msg_num = a.msg_num;
    r.offsets = std::move(a.offsets);
    kick_reput();
    if (ha_master_) ha_master_->notify_append();
    r.status = put_status::put_ok;
    *end_offset = a.end_offset;
    return r;
  }


  put_result put(put_request req) override {
    int64_t end = 0;
    put_result r = append_records(req, &end);
    if (!r.ok()) return r;
    if (!req.wait_store_msg_ok) {
      if (group_commit_) group_commit_->request(end);
      return r;
    }
    if (group_commit_) apply_flush_status(r, group_commit_->wait_flushed(end, cfg_.sync_flush_timeout), end);
    if (!replicates(r)) return r;
    std::promise<replication_status> replicated;
    auto f = replicated.get_future();
    ha_master_->wait_replicated(end, [&replicated](replication_status s) { replicated.set_value(s); });
    apply_replication_status(r, f.get(), end);
    return r;
  }

  void put_async(put_request req, std::function<void(put_result)> done) override {
    int64_t end = 0;
    put_result r = append_records(req, &end);
    if (!r.ok()) return done(std::move(r));
    if (!req.wait_store_msg_ok) {
      if (group_commit_) group_commit_->request(end);
      return done(std::move(r));
    }
    if (!group_commit_) return replicate_then(std::move(r), end, std::move(done));
    group_commit_->wait_flushed_async(
        end, cfg_.sync_flush_timeout,
        [this, r = std::move(r), end, done = std::move(done)](group_commit_service::wait_status w) mutable {
          apply_flush_status(r, w, end);
          replicate_then(std::move(r), end, std::move(done));
        });
  }

  // SYNC_MASTER waits for a slave's ack of the records (after the flush, if
  // any). When both fail, the replication status is the one reported
  // (rocketmq-protocol.md §6.9).
  bool replicates(const put_result& r) const {
    return ha_master_ && cfg_.role == store_role::sync_master &&
           (r.status == put_status::put_ok || r.status == put_status::flush_disk_timeout);
  }

  void replicate_then(put_result r, int64_t end, std::function<void(put_result)> done) {
    if (!replicates(r)) return done(std::move(r));
    ha_master_->wait_replicated(end, [r = std::move(r), end, done = std::move(done)](replication_status s) mutable {
      apply_replication_status(r, s, end);
      done(std::move(r));
    });
  }

  static void apply_replication_status(put_result& r, replication_status s, int64_t end) {
    if (s == replication_status::timeout) {
      r.status = put_status::flush_slave_timeout;
      log()->warn("no slave acknowledged offset {} in time", end);
    } else if (s == replication_status::not_available) {
      r.status = put_status::slave_not_available;
    }
  }

  static void apply_flush_status(put_result& r, group_commit_service::wait_status w, int64_t end) {
    if (w == group_commit_service::wait_status::timeout) {
      r.status = put_status::flush_disk_timeout;
      log()->warn("sync flush timed out for offset {}", end);
    } else if (w == group_commit_service::wait_status::io_error) {
      r.status = put_status::service_not_available;
      r.error = "flush failed";
    }
  }

  // ---- get -------------------------------------------------------------

  get_result get_message(const std::string& topic, int32_t queue_id, int64_t offset, int32_t max_msgs,
                         int64_t max_bytes, const tags_filter& filter) override {
    get_result r;
    auto cq = find_cq(topic, queue_id);
    if (!cq) {
      r.status = get_status::no_matched_logic_queue;
      r.next_begin_offset = offset == 0 ? 0 : 0;
      return r;
    }
    int64_t min = cq->min_offset();
    int64_t max = cq->max_offset();
    r.min_offset = min;
    r.max_offset = max;
    if (max == 0) {
      r.status = get_status::no_message_in_queue;
      r.next_begin_offset = 0;
      return r;
    }
    if (offset < min) {
      r.status = get_status::offset_too_small;
      r.next_begin_offset = min;
      return r;
    }
    if (offset == max) {
      r.status = get_status::offset_overflow_one;
      r.next_begin_offset = offset;
      return r;
    }
    if (offset > max) {
      r.status = get_status::offset_overflow_badly;
      r.next_begin_offset = max;
      return r;
    }
    if (max_msgs <= 0) max_msgs = 1;
    int64_t commit_min = commit_log_.min_offset();
    // Scan at most max(16000 B, maxMsgNums*20 B) of consume queue (Java).
    size_t max_scan = static_cast<size_t>(std::max<int64_t>(16000 / kCqUnitSize, max_msgs));
    auto units = cq->get_batch(offset, max_scan);
    if (units.empty()) {
      r.status = get_status::offset_found_null;
      r.next_begin_offset = offset + 1;  // next file start is handled by the caller retrying
      return r;
    }
    int64_t next = offset;
    bool any_removing = false;
    std::shared_ptr<mapped_file> file;
    {
      // Reserve what the batch can take (not a blanket 256 KiB, which would
      // be an mmap/munmap per pull).
      int64_t want = 0;
      for (size_t i = 0; i < units.size() && i < static_cast<size_t>(max_msgs); ++i) {
        if (units[i].size != INT32_MAX) want += units[i].size;
      }
      r.body.reserve(static_cast<size_t>(std::min(want, max_bytes)));
    }
    for (auto& u : units) {
      if (r.msg_count >= max_msgs) break;
      if (r.msg_count > 0 && static_cast<int64_t>(r.body.size()) + u.size > max_bytes) break;
      ++next;
      if (u.size == INT32_MAX) continue;  // blank filler
      if (u.commit_log_offset < commit_min) {
        any_removing = true;
        continue;
      }
      if (filter && !filter(u.tags_code)) continue;
      // Consecutive messages mostly share a file: look it up once.
      if (!file || u.commit_log_offset < file->from_offset() ||
          u.commit_log_offset + u.size > file->from_offset() + file->wrote_position()) {
        file = commit_log_.files().find_by_offset(u.commit_log_offset);
      }
      int64_t pos = file ? u.commit_log_offset - file->from_offset() : -1;
      if (!file || u.size <= 0 || pos + u.size > file->wrote_position()) {
        any_removing = true;
        continue;
      }
      r.body.append(file->base() + pos, static_cast<size_t>(u.size));
      r.queue_offsets.push_back(next - 1);
      ++r.msg_count;
    }
    r.next_begin_offset = next;
    if (r.msg_count > 0) {
      r.status = get_status::found;
    } else {
      r.status = any_removing ? get_status::message_was_removing : get_status::no_matched_message;
    }
    return r;
  }

  std::optional<std::string> read_record(int64_t offset) override {
    auto head = commit_log_.read(offset, 8);
    if (!head) return std::nullopt;
    int32_t size = static_cast<int32_t>((static_cast<uint32_t>(static_cast<unsigned char>(head->data[0])) << 24) |
                                        (static_cast<uint32_t>(static_cast<unsigned char>(head->data[1])) << 16) |
                                        (static_cast<uint32_t>(static_cast<unsigned char>(head->data[2])) << 8) |
                                        static_cast<unsigned char>(head->data[3]));
    if (size <= 0) return std::nullopt;
    auto s = commit_log_.read(offset, size);
    if (!s) return std::nullopt;
    record_fields rf;
    if (parse_record(s->data, cfg_.check_crc_on_recover, rf) != parse_status::ok || rf.physical_offset != offset) {
      return std::nullopt;
    }
    return std::string(s->data);
  }

  std::vector<std::string> query_by_key(const std::string& topic, const std::string& key, int max, int64_t begin_ms,
                                        int64_t end_ms) override {
    std::vector<std::string> out;
    int limit = std::min(max <= 0 ? cfg_.max_msgs_num_batch : max, cfg_.max_msgs_num_batch);
    auto offsets = index_.query(topic, key, static_cast<size_t>(limit), begin_ms, end_ms);
    for (int64_t off : offsets) {
      auto rec = read_record(off);
      if (!rec) continue;  // deleted or cut by recovery
      record_fields rf;
      if (parse_record(*rec, false, rf) != parse_status::ok || rf.topic != topic) continue;
      // A hash collision is filtered out here: the key must really be there.
      bool match = find_property(rf.properties, "UNIQ_KEY") == key;
      if (!match) {
        std::string_view keys = find_property(rf.properties, "KEYS");
        size_t i = 0;
        while (!match && i <= keys.size()) {
          size_t j = keys.find(' ', i);
          if (j == std::string_view::npos) j = keys.size();
          match = keys.substr(i, j - i) == key;
          i = j + 1;
        }
      }
      if (match) out.push_back(std::move(*rec));
    }
    return out;
  }

  int64_t max_offset_in_queue(const std::string& topic, int32_t queue_id) override {
    auto cq = find_cq(topic, queue_id);
    return cq ? cq->max_offset() : 0;
  }
  int64_t min_offset_in_queue(const std::string& topic, int32_t queue_id) override {
    auto cq = find_cq(topic, queue_id);
    return cq ? cq->min_offset() : 0;
  }
  int64_t offset_by_time(const std::string& topic, int32_t queue_id, int64_t timestamp) override {
    auto cq = find_cq(topic, queue_id);
    if (!cq) return 0;
    return cq->offset_by_time(timestamp, [this](int64_t off, int32_t size) { return store_time_of(off, size); });
  }
  int64_t store_time_at(const std::string& topic, int32_t queue_id, int64_t queue_offset) override {
    auto cq = find_cq(topic, queue_id);
    if (!cq) return -1;
    auto u = cq->get(queue_offset);
    return u ? store_time_of(u->commit_log_offset, u->size) : -1;
  }
  int64_t commit_log_max_offset() override { return commit_log_.max_offset(); }
  int64_t commit_log_min_offset() override { return commit_log_.min_offset(); }

  void set_arrival_listener(std::function<void(const arrival&)> fn) override {
    std::lock_guard lock(listener_mu_);
    listener_ = std::move(fn);
  }

  bool wait_dispatched(std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (reput_from_.load() < commit_log_.max_offset()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      reput_cv_.notify_one();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  }

  int clean_expired(bool force) override {
    std::lock_guard lock(clean_mu_);
    int used = disk_used_percent(cfg_.commit_log_dir());
    disk_full_.store(used >= cfg_.disk_critical_ratio);
    if (disk_full_.load()) log()->error("disk {} is {}% full: writes refused", cfg_.commit_log_dir(), used);
    bool time_to_delete = is_delete_hour();
    bool space_pressure = used >= cfg_.disk_max_used_space_ratio;
    if (!force && !time_to_delete && !space_pressure) return 0;
    int64_t reserved_ms = static_cast<int64_t>(cfg_.file_reserved_time_hours) * 3600 * 1000;
    int64_t now = now_ms();
    // Under space pressure delete the oldest files even if young (Java's
    // cleanImmediately), a few per pass.
    int deleted = commit_log_.files().delete_files_while(
        [&](const mapped_file& f) { return space_pressure || f.last_modified_ms() + reserved_ms <= now; },
        space_pressure ? 10 : 10);
    if (deleted > 0) {
      int64_t min = commit_log_.min_offset();
      std::vector<std::shared_ptr<consume_queue>> cqs = all_cqs();
      for (auto& cq : cqs) cq->delete_expired(min);
      index_.delete_expired(min);
      log()->info("retention: deleted {} commit-log files; commit log now starts at {}", deleted, min);
    }
    return deleted;
  }

  std::vector<std::string> queue_topics() override {
    std::set<std::string> names;
    for (auto& cq : all_cqs()) names.insert(cq->topic());
    return {names.begin(), names.end()};
  }

  void delete_topic(const std::string& topic) override {
    std::vector<std::shared_ptr<consume_queue>> doomed;
    {
      std::lock_guard lock(cq_mu_);
      auto it = cqs_.find(topic);
      if (it == cqs_.end()) return;
      for (auto& [q, cq] : it->second) doomed.push_back(cq);
      cqs_.erase(it);
    }
    for (auto& cq : doomed) {
      commit_log_.remove_queue_from_table(topic, cq->queue_id());
      cq->destroy();
    }
    std::error_code ec;
    fs::remove_all(cfg_.consume_queue_dir() + "/" + topic, ec);
    log()->info("deleted consume queues of topic {}", topic);
  }

  store_stats stats() override {
    store_stats s;
    if (group_commit_) {
      s.group_commit_syncs = group_commit_->syncs();
      s.group_commit_released = group_commit_->released();
    }
    s.commit_log_min_offset = commit_log_.min_offset();
    s.commit_log_max_offset = commit_log_.max_offset();
    s.dispatch_behind_bytes = s.commit_log_max_offset - reput_from_.load();
    s.flush_behind_bytes = std::max<int64_t>(0, s.commit_log_max_offset - commit_log_.flushed_where());
    s.flush_latency = commit_log_.flush_latency();
    return s;
  }

  bool recovered_abnormally() const override { return abnormal_; }

  void set_ha_master_address(const std::string& address) override {
    if (ha_slave_) ha_slave_->set_master(address);
  }

  ha_runtime ha() override {
    if (ha_master_) return ha_master_->runtime();
    if (ha_slave_) return ha_slave_->runtime();
    return {};
  }

  void halt_for_test() override {
    if (!running_.exchange(false)) return;
    stop_threads();
    if (group_commit_) group_commit_->halt();
    if (async_flush_) async_flush_->halt();
    halted_ = true;
    if (lock_fd_ >= 0) {
      ::flock(lock_fd_, LOCK_UN);
      ::close(lock_fd_);
      lock_fd_ = -1;
    }
  }

  void stop_threads() {
    if (ha_slave_) ha_slave_->stop();
    if (ha_master_) ha_master_->stop();
    stop_.store(true);
    reput_cv_.notify_all();
    {
      std::lock_guard lock(stop_mu_);
    }
    stop_cv_.notify_all();
    if (reput_thread_.joinable()) reput_thread_.join();
    if (cq_flush_thread_.joinable()) cq_flush_thread_.join();
    if (clean_thread_.joinable()) clean_thread_.join();
  }

  void shutdown() override {
    if (!running_.exchange(false)) return;
    wait_dispatched(std::chrono::seconds(10));
    stop_threads();
    if (group_commit_) group_commit_->stop();
    if (async_flush_) async_flush_->stop();
    bool ok = !sticky_error() && commit_log_.flush(0);
    ok = flush_queues() && ok;
    checkpoint_.set_physic_msg_timestamp(commit_log_.flushed_store_timestamp());
    ok = checkpoint_.flush() && ok;
    if (ok) {
      std::error_code ec;
      fs::remove(cfg_.abort_path(), ec);
      log()->info("store {} shut down cleanly at commit-log offset {}", cfg_.store_path_root_dir,
                  commit_log_.max_offset());
    } else {
      log()->error("store {} shut down with flush errors; the next start recovers abnormally",
                   cfg_.store_path_root_dir);
    }
    if (lock_fd_ >= 0) {
      ::flock(lock_fd_, LOCK_UN);
      ::close(lock_fd_);
      lock_fd_ = -1;
    }
  }

 private:
  bool sticky_error() const {
    return (group_commit_ && group_commit_->failed()) || (async_flush_ && async_flush_->failed());
  }

  bool is_delete_hour() const {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    size_t i = 0;
    const std::string& w = cfg_.delete_when;
    while (i < w.size()) {
      size_t j = w.find(';', i);
      if (j == std::string::npos) j = w.size();
      std::string h = w.substr(i, j - i);
      if (!h.empty() && std::all_of(h.begin(), h.end(), ::isdigit) && std::stoi(h) == tm.tm_hour) return true;
      i = j + 1;
    }
    return false;
  }

  int64_t store_time_of(int64_t off, int32_t size) {
    auto s = commit_log_.read(off, size);
    if (!s) return -1;
    record_fields rf;
    if (parse_record(s->data, false, rf) != parse_status::ok) return -1;
    return rf.store_timestamp;
  }

  bool load_consume_queues(std::string* error) {
    std::error_code ec;
    std::string root = cfg_.consume_queue_dir();
    if (!fs::exists(root, ec)) return true;
    for (auto& t : fs::directory_iterator(root, ec)) {
      if (!t.is_directory()) continue;
      std::string topic = t.path().filename().string();
      for (auto& q : fs::directory_iterator(t.path(), ec)) {
        std::string qs = q.path().filename().string();
        if (!q.is_directory() || qs.empty() || !std::all_of(qs.begin(), qs.end(), ::isdigit) || qs.size() > 9) continue;
        int32_t qid = std::stoi(qs);
        auto cq = std::make_shared<consume_queue>(topic, qid, root, cfg_.mapped_file_size_consume_queue);
        if (!cq->load(error)) return false;
        cqs_[topic][qid] = cq;
      }
    }
    return true;
  }

  std::shared_ptr<consume_queue> find_cq(const std::string& topic, int32_t queue_id) {
    std::lock_guard lock(cq_mu_);
    auto it = cqs_.find(topic);
    if (it == cqs_.end()) return nullptr;
    auto q = it->second.find(queue_id);
    return q == it->second.end() ? nullptr : q->second;
  }

  std::shared_ptr<consume_queue> find_or_create_cq(std::string_view topic, int32_t queue_id) {
    std::lock_guard lock(cq_mu_);
    auto& m = cqs_[std::string(topic)];
    auto& cq = m[queue_id];
    if (!cq) {
      cq = std::make_shared<consume_queue>(std::string(topic), queue_id, cfg_.consume_queue_dir(),
                                           cfg_.mapped_file_size_consume_queue);
    }
    return cq;
  }

  std::vector<std::shared_ptr<consume_queue>> all_cqs() {
    std::vector<std::shared_ptr<consume_queue>> out;
    std::lock_guard lock(cq_mu_);
    for (auto& [t, m] : cqs_) {
      for (auto& [q, cq] : m) out.push_back(cq);
    }
    return out;
  }

  // Recovery (rocketmq-protocol.md §5.5): pick a commit-log file to start
  // from, re-scan every record from there validating magic, size and CRC,
  // cut the log after the last valid one, trim consume-queue units beyond
  // it and re-dispatch everything from the start point (consume-queue puts
  // are idempotent, so units already present are kept).
  void recover() {
    for (auto& cq : all_cqs()) cq->recover();
    auto files = commit_log_.files().files();
    size_t start = 0;
    if (!files.empty()) {
      if (abnormal_) {
        // Newest file whose first record was stored at or before the
        // checkpoint's safe timestamp.
        int64_t min_ts = checkpoint_.min_timestamp(true);
        start = 0;
        for (size_t i = files.size(); i-- > 0;) {
          record_fields rf;
          std::string_view data(files[i]->base(), static_cast<size_t>(files[i]->file_size()));
          if (parse_record(data, false, rf) == parse_status::ok && rf.store_timestamp <= min_ts && min_ts > 0) {
            start = i;
            break;
          }
        }
      } else {
        start = files.size() >= 3 ? files.size() - 3 : 0;
      }
    }
    log()->info("recovering commit log ({}) from file {} of {}", abnormal_ ? "abnormal" : "normal", start,
                files.size());
    int64_t start_offset = files.empty() ? 0 : files[start]->from_offset();
    int64_t end = commit_log_.recover(start, cfg_.check_crc_on_recover || abnormal_,
                                      [&](const record_fields&, int64_t) {});
    for (auto& cq : all_cqs()) cq->truncate_dirty(end);
    index_.truncate_after(end);
    // Re-dispatch [start_offset, end).
    int64_t off = start_offset;
    int64_t redispatched = 0;
    while (off < end) {
      auto s = commit_log_.read_from(off);
      if (!s) break;
      record_fields rf;
      auto st = parse_record(s->data, false, rf);
      if (st == parse_status::blank) {
        off = commit_log_.roll_next_file(off);
        continue;
      }
      if (st != parse_status::ok) break;
      dispatch(rf, off, /*notify=*/false);
      off += rf.total_size;
      ++redispatched;
    }
    reput_from_.store(end);
    // Rebuild the queue-offset counters from the consume queues.
    std::map<std::string, int64_t> table;
    for (auto& cq : all_cqs()) table[cq->topic() + "-" + std::to_string(cq->queue_id())] = cq->max_offset();
    commit_log_.set_topic_queue_table(table);
    log()->info("recovery done: commit log ends at {}, {} records re-dispatched", end, redispatched);
  }

  void dispatch(const record_fields& rf, int64_t offset, bool notify) {
    int32_t tran = rf.sys_flag & kSysFlagTransactionMask;
    std::string_view tags = find_property(rf.properties, "TAGS");
    int64_t tags_code = tags.empty() ? 0 : static_cast<int64_t>(mq::java_string_hash(tags));
    if (rf.topic == kScheduleTopic) {
      // tagsCode = deliver time: store time + delay of the level (§5.2).
      std::string_view lv = find_property(rf.properties, "DELAY");
      int level = 0;
      for (char c : lv) {
        if (c < '0' || c > '9' || level > 1000) break;
        level = level * 10 + (c - '0');
      }
      if (level > static_cast<int>(delay_levels_.size())) level = static_cast<int>(delay_levels_.size());
      tags_code = rf.store_timestamp + (level > 0 ? delay_levels_[static_cast<size_t>(level - 1)] : 0);
    }
    if (tran == kTransactionNot || tran == kTransactionCommit) {
      auto cq = find_or_create_cq(rf.topic, rf.queue_id);
      if (!cq->put(offset, rf.total_size, tags_code, rf.queue_offset)) {
        log()->error("dispatch: consume queue {}/{} put failed", rf.topic, rf.queue_id);
      }
      last_dispatched_ts_.store(rf.store_timestamp);
      if (notify) {
        std::function<void(const arrival&)> fn;
        {
          std::lock_guard lock(listener_mu_);
          fn = listener_;
        }
        if (fn) fn(arrival{std::string(rf.topic), rf.queue_id, rf.queue_offset, tags_code, rf.store_timestamp});
      }
    }
    if (tran != kTransactionRollback) {
      index_.build_index(rf.topic, find_property(rf.properties, "UNIQ_KEY"), find_property(rf.properties, "KEYS"),
                         offset, rf.store_timestamp);
    }
  }

  // HA slave ahead of its master: the reput thread (the only writer of the
  // consume queues) cuts the commit log, the queues and the index back to
  // `offset`; the caller (the HA thread, the only appender) waits.
  bool truncate_for_ha(int64_t offset) {
    std::unique_lock lk(truncate_mu_);
    truncate_to_.store(offset);
    reput_cv_.notify_all();
    bool done = truncate_cv_.wait_for(lk, std::chrono::seconds(30), [&] { return truncate_to_.load() < 0 || stop_.load(); });
    return done && !stop_.load();
  }

  void run_ha_truncation() {
    int64_t offset = truncate_to_.load();
    if (offset < 0) return;
    log()->warn("HA: truncating commit log, consume queues and index from {} down to offset {}",
                commit_log_.max_offset(), offset);
    commit_log_.files().truncate_dirty(offset);
    for (auto& cq : all_cqs()) cq->truncate_dirty(offset);
    index_.truncate_after(offset);
    if (reput_from_.load() > offset) reput_from_.store(offset);
    std::lock_guard lk(truncate_mu_);
    truncate_to_.store(-1);
    truncate_cv_.notify_all();
  }

  void reput_loop() {
    while (!stop_.load()) {
      run_ha_truncation();
      int64_t from = reput_from_.load();
      if (from >= commit_log_.max_offset()) {
        std::unique_lock lock(reput_mu_);
        reput_idle_.store(true);
        reput_cv_.wait_for(lock, std::chrono::milliseconds(1),
                           [&] {
                             return stop_.load() || reput_from_.load() < commit_log_.max_offset() ||
                                    truncate_to_.load() >= 0;
                           });
        reput_idle_.store(false);
        continue;
      }
      auto s = commit_log_.read_from(from);
      if (!s) {
        // An empty HA slave's log starts at its master's file, past 0.
        if (int64_t min = commit_log_.min_offset(); from < min) {
          reput_from_.store(min);
          continue;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      size_t pos = 0;
      while (pos < s->data.size() && !stop_.load()) {
        record_fields rf;
        auto st = parse_record(s->data.substr(pos), false, rf);
        if (st == parse_status::blank) {
          from = commit_log_.roll_next_file(from + static_cast<int64_t>(pos));
          pos = s->data.size();
          reput_from_.store(from);
          break;
        }
        if (st != parse_status::ok) {
          log()->error("reput: unreadable record at {} ({}); waiting", from + static_cast<int64_t>(pos),
                       static_cast<int>(st));
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          break;
        }
        dispatch(rf, from + static_cast<int64_t>(pos), true);
        pos += static_cast<size_t>(rf.total_size);
        reput_from_.store(from + static_cast<int64_t>(pos));
      }
    }
  }

  bool flush_queues() {
    bool ok = true;
    for (auto& cq : all_cqs()) ok = cq->flush(0) && ok;
    ok = index_.flush() && ok;
    return ok;
  }

  void cq_flush_loop() {
    std::unique_lock lock(stop_mu_);
    while (!stop_.load()) {
      stop_cv_.wait_for(lock, cfg_.flush_interval_consume_queue, [&] { return stop_.load(); });
      if (stop_.load()) break;
      lock.unlock();
      int64_t logic_ts = last_dispatched_ts_.load();
      bool ok = true;
      for (auto& cq : all_cqs()) ok = cq->flush(cfg_.flush_consume_queue_least_pages) && ok;
      ok = index_.flush() && ok;
      if (ok) {
        checkpoint_.set_physic_msg_timestamp(commit_log_.flushed_store_timestamp());
        checkpoint_.set_logics_msg_timestamp(logic_ts);
        checkpoint_.set_index_msg_timestamp(logic_ts);
        checkpoint_.flush();
      }
      lock.lock();
    }
  }

  void clean_loop() {
    std::unique_lock lock(stop_mu_);
    while (!stop_.load()) {
      stop_cv_.wait_for(lock, cfg_.clean_resource_interval, [&] { return stop_.load(); });
      if (stop_.load()) break;
      lock.unlock();
      clean_expired(false);
      lock.lock();
    }
  }

  message_store_config cfg_;
  commit_log commit_log_;
  index_service index_;
  store_checkpoint checkpoint_;
  std::vector<int64_t> delay_levels_;
  int lock_fd_ = -1;
  bool abnormal_ = false;
  bool halted_ = false;

  std::mutex cq_mu_;
  std::map<std::string, std::map<int32_t, std::shared_ptr<consume_queue>>> cqs_;  // GUARDED_BY(cq_mu_)

  std::unique_ptr<group_commit_service> group_commit_;
  std::unique_ptr<ha_master> ha_master_;
  std::unique_ptr<ha_slave> ha_slave_;
  std::mutex truncate_mu_;
  std::condition_variable truncate_cv_;
  std::atomic<int64_t> truncate_to_{-1};
  std::unique_ptr<async_flush_service> async_flush_;

  std::atomic<bool> running_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> disk_full_{false};
  std::atomic<int64_t> reput_from_{0};
  std::atomic<bool> reput_idle_{false};
  std::atomic<int64_t> last_reput_kick_ns_{0};
  // Wakes the sleeping dispatcher, at most once per 200 µs: it polls every
  // 1 ms anyway, and a futex wake per message (with the context switch it
  // causes) cost more than the dispatch itself under load. So a message is
  // dispatched within ~0.2 ms of its append when the dispatcher was asleep.
  void kick_reput() {
    if (!reput_idle_.load(std::memory_order_relaxed)) return;
    int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch()).count();
    int64_t last = last_reput_kick_ns_.load(std::memory_order_relaxed);
    if (now - last < 200'000 || !last_reput_kick_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed)) return;
    reput_cv_.notify_one();
  }
  std::atomic<int64_t> last_dispatched_ts_{0};
  std::mutex reput_mu_;
  std::condition_variable reput_cv_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::mutex clean_mu_;
  std::mutex listener_mu_;
  std::function<void(const arrival&)> listener_;  // GUARDED_BY(listener_mu_)
  std::thread reput_thread_, cq_flush_thread_, clean_thread_;
};

}  // namespace

std::unique_ptr<message_store> message_store::open(const message_store_config& cfg, std::string* error) {
  std::string err;
  if (cfg.store_path_root_dir.empty()) {
    if (error) *error = "storePathRootDir is not set";
    return nullptr;
  }
  if (cfg.mapped_file_size_commit_log < 64 * 1024 || cfg.mapped_file_size_consume_queue < kCqUnitSize) {
    if (error) *error = "mapped file sizes are too small";
    return nullptr;
  }
  auto s = std::make_unique<default_message_store>(cfg);
  if (!s->start(error ? error : &err)) return nullptr;
  return s;
}

}  // namespace mq::store
