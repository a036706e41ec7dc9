#include "mq/common/message_record.h"

#include "mq/common/bytes.h"
#include "mq/common/crc.h"
#include "mq/common/message_const.h"
#include "mq/common/message_id.h"
#include "mq/common/properties.h"

namespace mq {

size_t record_size(const message_ext& m, size_t properties_size) {
  return 91 + (m.born_host.v6 ? 12 : 0) + (m.store_host.v6 ? 12 : 0) + m.body.size() + m.topic.size() +
         properties_size;
}

result<std::string> encode_record(const message_ext& m) {
  std::string props = encode_properties(m.properties);
  if (m.topic.size() > max_topic_length) {
    return status::error(errc::invalid_argument, "topic longer than 127 bytes");
  }
  if (props.size() > max_properties_length) {
    return status::error(errc::too_large, "properties longer than 32767 bytes");
  }
  int32_t flag = m.sys_flag & ~(sys_flag::bornhost_v6 | sys_flag::storehost_v6);
  if (m.born_host.v6) flag |= sys_flag::bornhost_v6;
  if (m.store_host.v6) flag |= sys_flag::storehost_v6;
  size_t total = record_size(m, props.size());
  std::string out;
  out.reserve(total);
  put_i32(out, static_cast<int32_t>(total));
  put_i32(out, static_cast<int32_t>(message_magic_code));
  put_i32(out, m.body_crc);
  put_i32(out, m.queue_id);
  put_i32(out, m.flag);
  put_i64(out, m.queue_offset);
  put_i64(out, m.commit_log_offset);
  put_i32(out, flag);
  put_i64(out, m.born_timestamp);
  out.append(reinterpret_cast<const char*>(m.born_host.ip.data()), m.born_host.ip_size());
  put_i32(out, m.born_host.port);
  put_i64(out, m.store_timestamp);
  out.append(reinterpret_cast<const char*>(m.store_host.ip.data()), m.store_host.ip_size());
  put_i32(out, m.store_host.port);
  put_i32(out, m.reconsume_times);
  put_i64(out, m.prepared_transaction_offset);
  put_i32(out, static_cast<int32_t>(m.body.size()));
  out += m.body;
  put_i8(out, static_cast<int8_t>(m.topic.size()));
  out += m.topic;
  put_i16(out, static_cast<int16_t>(props.size()));
  out += props;
  return out;
}

namespace {
socket_address read_host(byte_reader& r, bool v6) {
  socket_address a;
  a.v6 = v6;
  auto ip = r.read_bytes(v6 ? 16 : 4);
  std::copy(ip.begin(), ip.end(), a.ip.begin());
  a.port = static_cast<uint16_t>(r.read_i32());
  return a;
}
}  // namespace

result<message_ext> decode_record(std::string_view in, bool check_crc, size_t* consumed) {
  byte_reader r(in);
  message_ext m;
  int32_t total = r.read_i32();
  auto magic = static_cast<uint32_t>(r.read_i32());
  if (!r.ok()) return status::error(errc::corrupt, "record shorter than its header");
  if (magic != message_magic_code) return status::error(errc::corrupt, "bad magic code");
  if (total < 91 || static_cast<size_t>(total) > in.size()) {
    return status::error(errc::corrupt, "record size " + std::to_string(total) + " out of bounds");
  }
  r = byte_reader(in.substr(0, static_cast<size_t>(total)));
  r.read_i32();
  r.read_i32();
  m.store_size = total;
  m.body_crc = r.read_i32();
  m.queue_id = r.read_i32();
  m.flag = r.read_i32();
  m.queue_offset = r.read_i64();
  m.commit_log_offset = r.read_i64();
  m.sys_flag = r.read_i32();
  m.born_timestamp = r.read_i64();
  m.born_host = read_host(r, (m.sys_flag & sys_flag::bornhost_v6) != 0);
  m.store_timestamp = r.read_i64();
  m.store_host = read_host(r, (m.sys_flag & sys_flag::storehost_v6) != 0);
  m.reconsume_times = r.read_i32();
  m.prepared_transaction_offset = r.read_i64();
  int32_t body_len = r.read_i32();
  if (!r.ok() || body_len < 0) return status::error(errc::corrupt, "record truncated before the body");
  m.body = std::string(r.read_bytes(static_cast<size_t>(body_len)));
  auto topic_len = static_cast<uint8_t>(r.read_i8());
  m.topic = std::string(r.read_bytes(topic_len));
  auto props_len = static_cast<uint16_t>(r.read_i16());
  auto props = r.read_bytes(props_len);
  if (!r.ok()) return status::error(errc::corrupt, "record fields exceed its size");
  if (r.remaining() != 0) return status::error(errc::corrupt, "record size does not match its fields");
  if (check_crc && rocketmq_crc32(m.body) != m.body_crc) return status::error(errc::corrupt, "body CRC mismatch");
  m.properties = decode_properties(props);
  m.msg_id = encode_offset_msg_id(m.store_host, m.commit_log_offset);
  if (consumed) *consumed = static_cast<size_t>(total);
  return m;
}

result<std::vector<message_ext>> decode_records(std::string_view in, bool check_crc) {
  std::vector<message_ext> out;
  while (!in.empty()) {
    size_t used = 0;
    auto m = decode_record(in, check_crc, &used);
    if (!m) return m.error();
    out.push_back(std::move(*m));
    in.remove_prefix(used);
  }
  return out;
}

}  // namespace mq
