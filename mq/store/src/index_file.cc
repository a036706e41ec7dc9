#include "mq/store/index_file.h"

#include <algorithm>
#include <climits>
#include <ctime>
#include <filesystem>

#include "bytes.h"
#include "log.h"
#include "mq/common/tag_hash.h"

namespace mq::store {

namespace fs = std::filesystem;

namespace {
// Header field offsets.
constexpr int kBeginTs = 0, kEndTs = 8, kBeginPhy = 16, kEndPhy = 24, kSlotCount = 32, kIndexCount = 36;

std::string now_file_name() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}
}  // namespace

int32_t index_file::key_hash(std::string_view key) {
  int32_t h = mq::java_string_hash(key);
  if (h == INT_MIN) return 0;
  return h < 0 ? -h : h;
}

std::unique_ptr<index_file> index_file::open(const std::string& path, int hash_slot_num, int index_num,
                                             std::string* error) {
  int64_t size = kIndexHeaderSize + static_cast<int64_t>(hash_slot_num) * 4 +
                 static_cast<int64_t>(index_num) * kIndexEntrySize;
  auto f = mapped_file::open(path, 0, size, error);
  if (!f) return nullptr;
  auto idx = std::unique_ptr<index_file>(new index_file(std::move(f), hash_slot_num, index_num));
  if (idx->index_count() <= 0) put_i32(idx->header() + kIndexCount, 1);  // a new file
  return idx;
}

int64_t index_file::begin_timestamp() const { return get_i64(header() + kBeginTs); }
int64_t index_file::end_timestamp() const { return get_i64(header() + kEndTs); }
int64_t index_file::begin_phy_offset() const { return get_i64(header() + kBeginPhy); }
int64_t index_file::end_phy_offset() const { return get_i64(header() + kEndPhy); }
int32_t index_file::index_count() const { return get_i32(header() + kIndexCount); }
bool index_file::is_full() const { return index_count() >= num_; }

void index_file::inherit(int64_t end_phy_offset, int64_t end_timestamp) {
  put_i64(header() + kBeginPhy, end_phy_offset);
  put_i64(header() + kEndPhy, end_phy_offset);
  put_i64(header() + kBeginTs, end_timestamp);
  put_i64(header() + kEndTs, end_timestamp);
}

bool index_file::put_key(std::string_view key, int64_t phy_offset, int64_t store_timestamp) {
  int32_t count = index_count();
  if (count >= num_) return false;
  int32_t hash = key_hash(key);
  int slot = hash % slots_;
  char* slot_pos = header() + kIndexHeaderSize + static_cast<int64_t>(slot) * 4;
  int32_t prev = get_i32(slot_pos);
  if (prev <= 0 || prev > count) prev = 0;
  int64_t begin_ts = begin_timestamp();
  int64_t diff = (store_timestamp - begin_ts) / 1000;
  if (begin_ts <= 0 || diff < 0) diff = 0;
  if (diff > INT_MAX) diff = INT_MAX;
  char* entry = header() + kIndexHeaderSize + static_cast<int64_t>(slots_) * 4 +
                static_cast<int64_t>(count) * kIndexEntrySize;
  put_i32(entry, hash);
  put_i64(entry + 4, phy_offset);
  put_i32(entry + 12, static_cast<int32_t>(diff));
  put_i32(entry + 16, prev);
  put_i32(slot_pos, count);
  if (count <= 1) {
    put_i64(header() + kBeginPhy, phy_offset);
    put_i64(header() + kBeginTs, store_timestamp);
  }
  if (prev == 0) put_i32(header() + kSlotCount, get_i32(header() + kSlotCount) + 1);
  put_i32(header() + kIndexCount, count + 1);
  put_i64(header() + kEndPhy, phy_offset);
  put_i64(header() + kEndTs, store_timestamp);
  return true;
}

void index_file::select(std::string_view key, size_t max, int64_t begin, int64_t end, std::vector<int64_t>& out) const {
  int32_t hash = key_hash(key);
  int slot = hash % slots_;
  int32_t count = index_count();
  int32_t cur = get_i32(header() + kIndexHeaderSize + static_cast<int64_t>(slot) * 4);
  int64_t begin_ts = begin_timestamp();
  // Each step moves to a strictly older entry; the guard bounds corrupt chains.
  for (int guard = 0; cur > 0 && cur < count && out.size() < max && guard < num_; ++guard) {
    const char* entry = header() + kIndexHeaderSize + static_cast<int64_t>(slots_) * 4 +
                        static_cast<int64_t>(cur) * kIndexEntrySize;
    int32_t h = get_i32(entry);
    int64_t phy = get_i64(entry + 4);
    int32_t diff = get_i32(entry + 12);
    int32_t prev = get_i32(entry + 16);
    if (diff < 0) break;
    int64_t t = begin_ts + static_cast<int64_t>(diff) * 1000;
    if (h == hash && t >= begin && t <= end) out.push_back(phy);
    if (prev <= 0 || prev >= cur) break;
    cur = prev;
  }
}

index_service::index_service(std::string dir, int hash_slot_num, int index_num)
    : dir_(std::move(dir)), slots_(hash_slot_num), num_(index_num) {}

bool index_service::load(std::string* error) {
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return true;
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.is_regular_file()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::lock_guard lock(mu_);
  for (auto& n : names) {
    auto f = index_file::open(dir_ + "/" + n, slots_, num_, error);
    if (!f) return false;
    files_.push_back(std::move(f));
  }
  return true;
}

void index_service::truncate_after(int64_t commit_log_max_offset) {
  std::lock_guard lock(mu_);
  valid_end_ = commit_log_max_offset;
  if (!files_.empty() && files_.back()->end_phy_offset() >= commit_log_max_offset) {
    log()->info("index: entries at or after offset {} are stale after recovery", commit_log_max_offset);
  }
}

index_file* index_service::writable(std::string* error) {
  if (!files_.empty() && !files_.back()->is_full()) return files_.back().get();
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::string name = now_file_name();
  // Two files in one millisecond must not collide.
  while (fs::exists(dir_ + "/" + name, ec)) name = std::to_string(std::stoll(name) + 1);
  auto f = index_file::open(dir_ + "/" + name, slots_, num_, error);
  if (!f) return nullptr;
  if (!files_.empty()) {
    files_.back()->flush();
    f->inherit(files_.back()->end_phy_offset(), files_.back()->end_timestamp());
  }
  log()->info("created index file {}", f->path());
  files_.push_back(std::move(f));
  return files_.back().get();
}

void index_service::build_index(std::string_view topic, std::string_view uniq_key, std::string_view keys,
                                int64_t phy_offset, int64_t store_timestamp) {
  std::lock_guard lock(mu_);
  std::string err;
  index_file* f = writable(&err);
  if (!f) {
    log()->error("index: {}", err);
    return;
  }
  // Already indexed (re-dispatch after recovery): only offsets that
  // survived recovery can have been indexed before.
  if (f->index_count() > 1 && phy_offset <= f->end_phy_offset() && phy_offset < valid_end_) return;
  auto put = [&](std::string_view key) {
    if (key.empty()) return;
    std::string k;
    k.reserve(topic.size() + 1 + key.size());
    k.append(topic).push_back('#');
    k.append(key);
    if (!f->put_key(k, phy_offset, store_timestamp)) {
      f = writable(&err);
      if (!f || !f->put_key(k, phy_offset, store_timestamp)) log()->error("index: cannot add key {}", k);
    }
  };
  put(uniq_key);
  size_t i = 0;
  while (i < keys.size()) {
    size_t j = keys.find(' ', i);
    if (j == std::string_view::npos) j = keys.size();
    put(keys.substr(i, j - i));
    i = j + 1;
  }
}

std::vector<int64_t> index_service::query(std::string_view topic, std::string_view key, size_t max, int64_t begin,
                                          int64_t end) {
  std::string k;
  k.append(topic).push_back('#');
  k.append(key);
  std::vector<int64_t> out;
  std::lock_guard lock(mu_);
  for (auto it = files_.rbegin(); it != files_.rend() && out.size() < max; ++it) {
    auto& f = *it;
    if (f->index_count() <= 1) continue;
    // Skip files entirely outside [begin, end].
    if (f->end_timestamp() < begin || f->begin_timestamp() > end) continue;
    f->select(k, max, begin, end, out);
  }
  // A record re-appended at an offset after recovery may be listed twice.
  std::vector<int64_t> unique;
  for (int64_t o : out) {
    if (std::find(unique.begin(), unique.end(), o) == unique.end()) unique.push_back(o);
  }
  return unique;
}

bool index_service::flush() {
  std::lock_guard lock(mu_);
  bool ok = true;
  for (auto& f : files_) ok = f->flush() && ok;
  return ok;
}

int64_t index_service::last_end_timestamp() {
  std::lock_guard lock(mu_);
  return files_.empty() ? 0 : files_.back()->end_timestamp();
}

int index_service::delete_expired(int64_t min_phy_offset) {
  std::lock_guard lock(mu_);
  int n = 0;
  while (files_.size() > 1 && files_.front()->end_phy_offset() < min_phy_offset) {
    log()->info("deleted expired index file {}", files_.front()->path());
    files_.front()->destroy();
    files_.erase(files_.begin());
    ++n;
  }
  return n;
}

}  // namespace mq::store
