// Test helpers for the store: hand-built records (independent of
// mq::common's encoder), temp directories, byte-level file surgery.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "mq/store/mapped_file.h"
#include "mq/store/message_store.h"

namespace mq::store::test {

// A v1 record with IPv4 hosts laid out byte by byte from
// rocketmq-protocol.md §4.1 (queue/physical offsets and store time are left
// 0 for the store to fill). BODYCRC = crc32(body) & 0x7FFFFFFF.
std::string make_record(const std::string& topic, const std::string& body, const std::string& properties,
                        int32_t queue_id = 0, int32_t sys_flag = 0, int64_t born_ts = 1700000000000);

// "k\1v\2k\1v" from a map.
std::string props(const std::map<std::string, std::string>& kv);

put_request make_put(const std::string& topic, int32_t queue_id, const std::string& body,
                     const std::map<std::string, std::string>& kv = {}, int32_t sys_flag = 0);

struct temp_dir {
  std::string path;
  temp_dir();
  ~temp_dir();
};

message_store_config small_config(const std::string& root, flush_disk_type flush = flush_disk_type::sync_flush);

void flip_byte(const std::string& path, int64_t pos);
void zero_range(const std::string& path, int64_t from, int64_t to);
std::string read_file(const std::string& path);

// Records the highest flushed position per file.
class flush_recorder : public flush_observer {
 public:
  void on_flushed(const std::string& path, int64_t pos) override;
  int64_t flushed(const std::string& path);
  std::map<std::string, int64_t> all();

 private:
  std::mutex mu_;
  std::map<std::string, int64_t> flushed_;
};

// The body stored in a record at the start of `rec`.
std::string body_of(std::string_view rec);
int64_t queue_offset_of(std::string_view rec);

}  // namespace mq::store::test
