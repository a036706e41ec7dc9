#include "mq/common/message_id.h"

#include <chrono>
#include <ctime>
#include <random>

#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include "mq/common/bytes.h"

namespace mq {

std::string to_hex_upper(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::string encode_offset_msg_id(const socket_address& store_host, int64_t commit_log_offset) {
  std::string raw(reinterpret_cast<const char*>(store_host.ip.data()), store_host.ip_size());
  put_i32(raw, store_host.port);
  put_i64(raw, commit_log_offset);
  return to_hex_upper(raw);
}

result<std::pair<socket_address, int64_t>> decode_offset_msg_id(std::string_view id) {
  // Java decodeMessageId: 32 chars means IPv4, anything else IPv6.
  size_t ip_len = id.size() == 32 ? 4 : 16;
  if (id.size() != 2 * (ip_len + 4 + 8))
    return status::error(errc::invalid_argument, "bad offsetMsgId length");
  std::string raw;
  for (size_t i = 0; i < id.size(); i += 2) {
    int hi = hex_value(id[i]), lo = hex_value(id[i + 1]);
    if (hi < 0 || lo < 0) return status::error(errc::invalid_argument, "offsetMsgId is not hex");
    raw.push_back(static_cast<char>(hi * 16 + lo));
  }
  byte_reader r(raw);
  socket_address a;
  a.v6 = ip_len == 16;
  auto ip = r.read_bytes(ip_len);
  std::copy(ip.begin(), ip.end(), a.ip.begin());
  a.port = static_cast<uint16_t>(r.read_i32());
  int64_t off = r.read_i64();
  return std::make_pair(a, off);
}

socket_address unique_id_generator::local_address() {
  socket_address out = socket_address::v4(127, 0, 0, 1, 0);
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    auto* b = reinterpret_cast<const uint8_t*>(&sin->sin_addr.s_addr);
    if (b[0] == 127) continue;
    out = socket_address::v4(b[0], b[1], b[2], b[3], 0);
    break;
  }
  ::freeifaddrs(list);
  return out;
}

namespace {
// Start of the current month (local time) and of the next, in ms.
void month_bounds(int64_t now_ms, int64_t& start, int64_t& next) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  start = static_cast<int64_t>(std::mktime(&tm)) * 1000;
  tm.tm_mon += 1;
  tm.tm_isdst = -1;
  next = static_cast<int64_t>(std::mktime(&tm)) * 1000;
}
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

unique_id_generator::unique_id_generator(const socket_address& local) : unique_id_generator(local, &now_ms) {}

unique_id_generator::unique_id_generator(const socket_address& local, clock_fn clock) : clock_(clock) {
  std::string raw(reinterpret_cast<const char*>(local.ip.data()), local.ip_size());
  put_i16(raw, static_cast<int16_t>(::getpid()));
  std::random_device rd;
  put_i32(raw, static_cast<int32_t>(rd()));  // Java: the class loader's hashCode; any per-process value
  prefix_hex_ = to_hex_upper(raw);
  month_bounds(clock_(), month_start_ms_, next_month_ms_);
}

std::string unique_id_generator::next() {
  int64_t t;
  uint32_t c;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_();
    if (now >= next_month_ms_ || now < month_start_ms_) month_bounds(now, month_start_ms_, next_month_ms_);
    const int64_t rel = now - month_start_ms_;
    if (rel > last_time_) {
      last_time_ = rel;
      counter_ = 0;
    } else if (counter_ > 0xFFFF) {
      ++last_time_;  // 65536 ids in one time value: move the time part on rather than repeat
      counter_ = 0;
    }
    t = last_time_;
    c = counter_++;
  }
  std::string raw;
  put_i32(raw, static_cast<int32_t>(t));
  put_i16(raw, static_cast<int16_t>(c));
  return prefix_hex_ + to_hex_upper(raw);
}

}  // namespace mq
