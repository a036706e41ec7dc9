#include "mq/common/message_record.h"

#include <cstdio>
#include <limits>

#include "mq/common/bytes.h"
#include "mq/common/crc.h"
#include "mq/common/message_const.h"
#include "mq/common/message_id.h"
#include "mq/common/properties.h"

namespace mq {

size_t record_size(const message_ext& m, size_t properties_size) {
  return record_base_size + (m.born_host.v6 ? record_ipv6_host_extra : 0) +
         (m.store_host.v6 ? record_ipv6_host_extra : 0) + m.body.size() + m.topic.size() + properties_size;
}

size_t record_size(const message_ext& m) {
  return record_size(m, encode_properties(m.properties).size());
}

namespace {

void put_host(std::string& out, const socket_address& a) {
  out.append(reinterpret_cast<const char*>(a.ip.data()), a.ip_size());
  put_i32(out, a.port);
}

socket_address read_host(byte_reader& r, bool v6) {
  socket_address a;
  a.v6 = v6;
  auto ip = r.read_bytes(v6 ? 16 : 4);
  std::copy(ip.begin(), ip.end(), a.ip.begin());
  a.port = static_cast<uint16_t>(r.read_i32());
  return a;
}

status corrupt(std::string what) {
  return status::error(errc::corrupt, std::move(what));
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

result<std::string> encode_record(const message_ext& m) {
  if (m.topic.size() > max_topic_length) {
    return status::error(errc::invalid_argument,
                         "topic is " + std::to_string(m.topic.size()) + " bytes, more than 127");
  }
  std::string props = encode_properties(m.properties);
  if (props.size() > max_properties_length) {
    return status::error(errc::too_large,
                         "properties are " + std::to_string(props.size()) + " bytes, more than 32767");
  }
  const size_t total = record_size(m, props.size());
  if (total > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return status::error(errc::too_large, "record of " + std::to_string(total) + " bytes");
  }
  int32_t flag = m.sys_flag & ~(sys_flag::bornhost_v6 | sys_flag::storehost_v6);
  if (m.born_host.v6) flag |= sys_flag::bornhost_v6;
  if (m.store_host.v6) flag |= sys_flag::storehost_v6;

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
  put_host(out, m.born_host);
  put_i64(out, m.store_timestamp);
  put_host(out, m.store_host);
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

result<record_view> parse_record_view(std::string_view in, bool check_crc) {
  record_view v;
  byte_reader head(in);
  v.total_size = head.read_i32();
  v.magic = static_cast<uint32_t>(head.read_i32());
  if (!head.ok()) return corrupt("record shorter than its 8-byte header");

  if (v.magic == blank_magic_code) {
    if (v.total_size < 8 || static_cast<size_t>(v.total_size) > in.size()) {
      return corrupt("blank record size " + std::to_string(v.total_size) + " out of bounds");
    }
    return v;
  }
  if (v.magic == message_magic_code_v2) return status::error(errc::unsupported, "5.x v2 message record");
  if (v.magic != message_magic_code) return corrupt("bad magic code " + hex32(v.magic));
  if (v.total_size < static_cast<int32_t>(record_base_size) ||
      static_cast<size_t>(v.total_size) > in.size()) {
    return corrupt("record size " + std::to_string(v.total_size) + " out of bounds (have " +
                   std::to_string(in.size()) + " bytes)");
  }

  // From here on nothing can be read beyond TOTALSIZE.
  const std::string_view rec = in.substr(0, static_cast<size_t>(v.total_size));
  byte_reader r(rec);
  r.read_bytes(record_pos::body_crc);
  v.body_crc = r.read_i32();
  v.queue_id = r.read_i32();
  v.flag = r.read_i32();
  v.queue_offset = r.read_i64();
  v.physical_offset = r.read_i64();
  v.sys_flag = r.read_i32();
  v.born_timestamp = r.read_i64();
  v.born_host = read_host(r, (v.sys_flag & sys_flag::bornhost_v6) != 0);
  v.store_timestamp_pos = r.pos();
  v.store_timestamp = r.read_i64();
  v.store_host_pos = r.pos();
  v.store_host = read_host(r, (v.sys_flag & sys_flag::storehost_v6) != 0);
  v.reconsume_times_pos = r.pos();
  v.reconsume_times = r.read_i32();
  v.prepared_transaction_offset_pos = r.pos();
  v.prepared_transaction_offset = r.read_i64();
  v.body_length_pos = r.pos();
  const int32_t body_len = r.read_i32();
  if (!r.ok()) return corrupt("record too short for IPv6 hosts");
  if (body_len < 0) return corrupt("negative body length");
  v.body_pos = r.pos();
  v.body = r.read_bytes(static_cast<size_t>(body_len));
  v.topic_length_pos = r.pos();
  const int8_t topic_len = r.read_i8();  // int8: a topic is at most 127 bytes
  if (!r.ok()) return corrupt("body length " + std::to_string(body_len) + " exceeds the record");
  if (topic_len < 0) return corrupt("negative topic length");
  v.topic = r.read_bytes(static_cast<size_t>(topic_len));
  v.properties_length_pos = r.pos();
  const int16_t props_len = r.read_i16();
  if (!r.ok()) return corrupt("topic length exceeds the record");
  if (props_len < 0) return corrupt("negative properties length");
  v.properties = r.read_bytes(static_cast<size_t>(props_len));
  if (!r.ok()) return corrupt("properties length exceeds the record");
  if (r.remaining() != 0) {
    return corrupt("TOTALSIZE " + std::to_string(v.total_size) + " but the fields end at " +
                   std::to_string(r.pos()));
  }
  if (check_crc && rocketmq_crc32(v.body) != v.body_crc) return corrupt("body CRC mismatch");
  return v;
}

result<message_ext> decode_record(std::string_view in, bool check_crc, size_t* consumed) {
  auto pv = parse_record_view(in, check_crc);
  if (!pv) return pv.error();
  const record_view& v = *pv;
  if (v.is_blank()) return corrupt("blank (end of file) record, not a message");
  message_ext m;
  m.topic = std::string(v.topic);
  m.flag = v.flag;
  m.properties = decode_properties(v.properties);
  m.body = std::string(v.body);
  m.queue_id = v.queue_id;
  m.store_size = v.total_size;
  m.queue_offset = v.queue_offset;
  m.sys_flag = v.sys_flag;
  m.born_timestamp = v.born_timestamp;
  m.born_host = v.born_host;
  m.store_timestamp = v.store_timestamp;
  m.store_host = v.store_host;
  m.commit_log_offset = v.physical_offset;
  m.msg_id = encode_offset_msg_id(m.store_host, m.commit_log_offset);
  m.body_crc = v.body_crc;
  m.reconsume_times = v.reconsume_times;
  m.prepared_transaction_offset = v.prepared_transaction_offset;
  if (consumed != nullptr) *consumed = static_cast<size_t>(v.total_size);
  return m;
}

result<std::vector<message_ext>> decode_records(std::string_view in, bool check_crc) {
  std::vector<message_ext> out;
  size_t at = 0;
  while (at < in.size()) {
    size_t used = 0;
    auto m = decode_record(in.substr(at), check_crc, &used);
    if (!m) {
      auto e = m.error();
      return status::error(e.code, "record " + std::to_string(out.size()) + " at byte " + std::to_string(at) +
                                       ": " + e.message);
    }
    out.push_back(std::move(*m));
    at += used;
  }
  return out;
}

}  // namespace mq
