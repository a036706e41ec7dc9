#include "mq/store/mapped_file_queue.h"

#include <algorithm>
#include <filesystem>

#include "log.h"

namespace mq::store {

namespace fs = std::filesystem;

mapped_file_queue::mapped_file_queue(std::string dir, int64_t file_size, bool preallocate, bool warm)
    : dir_(std::move(dir)), file_size_(file_size), preallocate_(preallocate), warm_(warm) {}

mapped_file_queue::~mapped_file_queue() {
  std::lock_guard lock(alloc_mu_);
  if (next_.valid()) {
    auto f = next_.get();
    // A pre-created file that never became part of the log is removed again.
    if (f) f->destroy();
  }
}

bool mapped_file_queue::load(std::string* error) {
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return true;
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(dir_, ec)) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    if (name.size() != 20 || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::shared_ptr<mapped_file>> loaded;
  for (auto& name : names) {
    std::string path = dir_ + "/" + name;
    auto size = fs::file_size(path, ec);
    if (ec || static_cast<int64_t>(size) != file_size_) {
      // An empty file at the end is a creation that did not finish before a
      // crash: it holds no data, remove it. Any other size mismatch is an
      // error (a wrong configured size must never cost data).
      if (&name == &names.back() && !ec && size == 0) {
        log()->warn("removing incomplete file {} ({} bytes)", path, size);
        fs::remove(path, ec);
        continue;
      }
      if (error) *error = path + ": size " + std::to_string(size) + " differs from the configured file size " +
                          std::to_string(file_size_);
      return false;
    }
    int64_t offset = std::stoll(name);
    if (offset % file_size_ != 0 || (!loaded.empty() && offset != loaded.back()->from_offset() + file_size_)) {
      if (error) *error = path + ": offset does not follow the previous file";
      return false;
    }
    auto f = mapped_file::open(path, offset, file_size_, error);
    if (!f) return false;
    f->reset_positions(file_size_, file_size_);  // recovery sets the real values
    loaded.push_back(std::shared_ptr<mapped_file>(std::move(f)));
  }
  std::lock_guard lock(mu_);
  files_ = std::move(loaded);
  return true;
}

std::shared_ptr<mapped_file> mapped_file_queue::create_file(int64_t offset, std::string* error) {
  std::unique_ptr<mapped_file> f;
  {
    std::lock_guard lock(alloc_mu_);
    if (next_.valid() && next_offset_ == offset) {
      f = next_.get();
    } else if (next_.valid()) {
      auto stale = next_.get();
      if (stale) stale->destroy();
    }
    next_offset_ = -1;
  }
  if (!f) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    f = mapped_file::open(dir_ + "/" + offset_to_file_name(offset), offset, file_size_, error);
    if (!f) return nullptr;
    // Not pre-allocated (the first file, or the allocator fell behind):
    // warm it now so appends and syncs never pay first-touch costs.
    if (warm_) f->warm();
  }
  log()->info("created {} ({} bytes)", f->path(), file_size_);
  if (preallocate_) schedule_preallocation(offset + file_size_);
  return std::shared_ptr<mapped_file>(std::move(f));
}

void mapped_file_queue::schedule_preallocation(int64_t offset) {
  std::lock_guard lock(alloc_mu_);
  if (next_.valid()) return;
  next_offset_ = offset;
  std::string path = dir_ + "/" + offset_to_file_name(offset);
  next_ = std::async(std::launch::async, [path, offset, size = file_size_, warm = warm_] {
    std::string err;
    auto f = mapped_file::open(path, offset, size, &err);
    if (!f) {
      log()->warn("pre-allocation of {} failed: {}", path, err);
      return f;
    }
    if (warm) f->warm();
    return f;
  });
}

std::shared_ptr<mapped_file> mapped_file_queue::last_file() {
  std::lock_guard lock(mu_);
  return files_.empty() ? nullptr : files_.back();
}

std::shared_ptr<mapped_file> mapped_file_queue::first_file() {
  std::lock_guard lock(mu_);
  return files_.empty() ? nullptr : files_.front();
}

std::shared_ptr<mapped_file> mapped_file_queue::last_file_or_create(int64_t start_offset, std::string* error) {
  {
    std::lock_guard lock(mu_);
    if (!files_.empty() && !files_.back()->is_full()) return files_.back();
  }
  if (last_file()) return create_next(error);
  int64_t aligned = start_offset - start_offset % file_size_;
  auto f = create_file(aligned, error);
  if (!f) return nullptr;
  std::lock_guard lock(mu_);
  files_.push_back(f);
  return f;
}

std::shared_ptr<mapped_file> mapped_file_queue::create_next(std::string* error) {
  auto last = last_file();
  int64_t offset = last ? last->from_offset() + file_size_ : 0;
  auto f = create_file(offset, error);
  if (!f) return nullptr;
  std::lock_guard lock(mu_);
  files_.push_back(f);
  return f;
}

std::shared_ptr<mapped_file> mapped_file_queue::find_by_offset(int64_t offset) {
  std::lock_guard lock(mu_);
  if (files_.empty()) return nullptr;
  int64_t first = files_.front()->from_offset();
  if (offset < first) return nullptr;
  size_t idx = static_cast<size_t>((offset - first) / file_size_);
  if (idx >= files_.size()) return nullptr;
  return files_[idx];
}

std::vector<std::shared_ptr<mapped_file>> mapped_file_queue::files() {
  std::lock_guard lock(mu_);
  return files_;
}

int64_t mapped_file_queue::min_offset() {
  std::lock_guard lock(mu_);
  return files_.empty() ? -1 : files_.front()->from_offset();
}

int64_t mapped_file_queue::max_offset() {
  std::lock_guard lock(mu_);
  return files_.empty() ? 0 : files_.back()->from_offset() + files_.back()->wrote_position();
}

void mapped_file_queue::truncate_dirty(int64_t offset) {
  std::vector<std::shared_ptr<mapped_file>> doomed;
  {
    std::lock_guard lock(mu_);
    while (!files_.empty() && files_.back()->from_offset() > offset) {
      doomed.push_back(files_.back());
      files_.pop_back();
    }
    // A cut exactly at a file boundary keeps the previous file full.
    if (!files_.empty() && files_.back()->from_offset() + file_size_ >= offset) {
      auto& f = files_.back();
      int64_t pos = offset - f->from_offset();
      f->reset_positions(pos, std::min(pos, f->flushed_position()));
    }
  }
  for (auto& f : doomed) {
    log()->warn("truncate: deleting {} (after offset {})", f->path(), offset);
    f->destroy();
  }
  if (flushed_where_.load() > offset) flushed_where_.store(offset);
}

bool mapped_file_queue::flush(int least_pages) {
  // Flush from the file holding flushed_where forward; a roll may leave a
  // full file behind the current one.
  for (int guard = 0; guard < 4; ++guard) {
    int64_t where = flushed_where_.load();
    auto f = find_by_offset(where);
    if (!f) {
      // Not created yet, or where == start of a file not yet created.
      auto last = last_file();
      if (last && where < last->from_offset()) {
        // flushed_where fell behind deleted files; move it up.
        flushed_where_.store(last->from_offset());
        continue;
      }
      return true;
    }
    int64_t pos = f->flush(least_pages);
    if (pos < 0) return false;
    flushed_where_.store(f->from_offset() + pos);
    if (pos < file_size_) return true;  // not at a file end: done
  }
  return true;
}

int mapped_file_queue::delete_files_while(const std::function<bool(const mapped_file&)>& expired, int max_files) {
  std::vector<std::shared_ptr<mapped_file>> doomed;
  {
    std::lock_guard lock(mu_);
    size_t n = 0;
    while (n + 1 < files_.size() && static_cast<int>(n) < max_files && expired(*files_[n])) ++n;
    doomed.assign(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(n));
    files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  for (auto& f : doomed) {
    log()->info("deleted expired file {}", f->path());
    f->destroy();
  }
  return static_cast<int>(doomed.size());
}

void mapped_file_queue::destroy() {
  std::vector<std::shared_ptr<mapped_file>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(files_);
  }
  for (auto& f : all) f->destroy();
  std::error_code ec;
  fs::remove(dir_, ec);
  flushed_where_.store(0);
}

}  // namespace mq::store
