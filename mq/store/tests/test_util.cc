#include "test_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <zlib.h>

#include "mq/store/record.h"

namespace mq::store::test {

namespace fs = std::filesystem;

namespace {
void be32(std::string& s, uint32_t v) {
  for (int sh = 24; sh >= 0; sh -= 8) s.push_back(static_cast<char>((v >> sh) & 0xFF));
}
void be64(std::string& s, uint64_t v) {
  for (int sh = 56; sh >= 0; sh -= 8) s.push_back(static_cast<char>((v >> sh) & 0xFF));
}
}  // namespace

std::string make_record(const std::string& topic, const std::string& body, const std::string& properties,
                        int32_t queue_id, int32_t sys_flag, int64_t born_ts) {
  std::string r;
  uint32_t total = static_cast<uint32_t>(91 + body.size() + topic.size() + properties.size());
  be32(r, total);
  be32(r, 0xDAA320A7u);
  uint32_t crc = static_cast<uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                               static_cast<uInt>(body.size()))) & 0x7FFFFFFFu;
  be32(r, crc);
  be32(r, static_cast<uint32_t>(queue_id));
  be32(r, 0);                       // flag
  be64(r, 0);                       // queue offset
  be64(r, 0);                       // physical offset
  be32(r, static_cast<uint32_t>(sys_flag));
  be64(r, static_cast<uint64_t>(born_ts));
  r += std::string("\x7f\x00\x00\x01", 4);  // born host 127.0.0.1
  be32(r, 40000);
  be64(r, 0);                       // store timestamp
  r += std::string("\x7f\x00\x00\x01", 4);  // store host
  be32(r, 10911);
  be32(r, 0);                       // reconsume times
  be64(r, 0);                       // prepared transaction offset
  be32(r, static_cast<uint32_t>(body.size()));
  r += body;
  r.push_back(static_cast<char>(topic.size()));
  r += topic;
  r.push_back(static_cast<char>((properties.size() >> 8) & 0xFF));
  r.push_back(static_cast<char>(properties.size() & 0xFF));
  r += properties;
  return r;
}

std::string props(const std::map<std::string, std::string>& kv) {
  std::string s;
  for (auto& [k, v] : kv) {
    if (!s.empty()) s.push_back('\x02');
    s += k;
    s.push_back('\x01');
    s += v;
  }
  return s;
}

put_request make_put(const std::string& topic, int32_t queue_id, const std::string& body,
                     const std::map<std::string, std::string>& kv, int32_t sys_flag) {
  put_request r;
  r.topic = topic;
  r.queue_id = queue_id;
  r.sys_flag = sys_flag;
  r.records.push_back(make_record(topic, body, props(kv), queue_id, sys_flag));
  return r;
}

temp_dir::temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "mqstore.XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  path = p ? p : "";
}

temp_dir::~temp_dir() {
  std::error_code ec;
  if (!path.empty()) fs::remove_all(path, ec);
}

message_store_config small_config(const std::string& root, flush_disk_type flush) {
  message_store_config c;
  c.store_path_root_dir = root;
  c.mapped_file_size_commit_log = 64 * 1024;
  c.mapped_file_size_consume_queue = 100 * 20;
  c.flush_disk = flush;
  c.max_hash_slot_num = 64;
  c.max_index_num = 256;
  c.flush_interval_consume_queue = std::chrono::milliseconds(50);
  c.preallocate_commit_log = false;
  c.max_message_size = 16 * 1024;
  return c;
}

void flip_byte(const std::string& path, int64_t pos) {
  int fd = ::open(path.c_str(), O_RDWR);
  char c = 0;
  if (::pread(fd, &c, 1, pos) == 1) {
    c = static_cast<char>(c ^ 0x5A);
    (void)::pwrite(fd, &c, 1, pos);
  }
  ::close(fd);
}

void zero_range(const std::string& path, int64_t from, int64_t to) {
  int fd = ::open(path.c_str(), O_RDWR);
  std::string zeros(static_cast<size_t>(to - from), '\0');
  (void)::pwrite(fd, zeros.data(), zeros.size(), from);
  ::close(fd);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void flush_recorder::on_flushed(const std::string& path, int64_t pos) {
  std::lock_guard lock(mu_);
  auto& v = flushed_[path];
  if (pos > v) v = pos;
}

int64_t flush_recorder::flushed(const std::string& path) {
  std::lock_guard lock(mu_);
  auto it = flushed_.find(path);
  return it == flushed_.end() ? 0 : it->second;
}

std::map<std::string, int64_t> flush_recorder::all() {
  std::lock_guard lock(mu_);
  return flushed_;
}

std::string body_of(std::string_view rec) {
  record_fields rf;
  if (parse_record(rec, false, rf) != parse_status::ok) return "<bad>";
  return std::string(rf.body);
}

int64_t queue_offset_of(std::string_view rec) {
  record_fields rf;
  if (parse_record(rec, false, rf) != parse_status::ok) return -1;
  return rf.queue_offset;
}

}  // namespace mq::store::test
