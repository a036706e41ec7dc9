#include "mq/store/record.h"

#include "bytes.h"
#include "mq/common/crc.h"

namespace mq::store {

parse_status parse_record(std::string_view in, bool check_crc, record_fields& out) {
  if (in.size() < 8) return parse_status::end;
  const char* p = in.data();
  int32_t total = get_i32(p);
  auto magic = static_cast<uint32_t>(get_i32(p + 4));
  if (magic == kBlankMagic) return parse_status::blank;
  if (magic != kMessageMagic || total <= 0) return parse_status::end;
  if (static_cast<size_t>(total) > in.size()) return parse_status::corrupt;
  // Fixed part up to BODYLENGTH needs at least this much.
  if (total < 91) return parse_status::corrupt;
  out.total_size = total;
  out.body_crc = get_i32(p + kPosBodyCrc);
  out.queue_id = get_i32(p + kPosQueueId);
  out.flag = get_i32(p + kPosFlag);
  out.queue_offset = get_i64(p + kPosQueueOffset);
  out.physical_offset = get_i64(p + kPosPhysicalOffset);
  out.sys_flag = get_i32(p + kPosSysFlag);
  out.born_timestamp = get_i64(p + kPosBornTimestamp);
  size_t pos = static_cast<size_t>(store_timestamp_pos(out.sys_flag));
  size_t store_host_len = (out.sys_flag & kSysFlagStoreHostV6) ? 20 : 8;
  auto need = [&](size_t n) { return pos + n <= static_cast<size_t>(total); };
  if (!need(8)) return parse_status::corrupt;
  out.store_timestamp = get_i64(p + pos);
  pos += 8 + store_host_len;
  if (!need(4 + 8 + 4)) return parse_status::corrupt;
  out.reconsume_times = get_i32(p + pos);
  pos += 4;
  out.prepared_transaction_offset = get_i64(p + pos);
  pos += 8;
  int32_t body_len = get_i32(p + pos);
  pos += 4;
  if (body_len < 0 || !need(static_cast<size_t>(body_len) + 1)) return parse_status::corrupt;
  out.body = std::string_view(p + pos, static_cast<size_t>(body_len));
  pos += static_cast<size_t>(body_len);
  auto topic_len = static_cast<size_t>(static_cast<unsigned char>(p[pos]));
  pos += 1;
  if (topic_len > 127 || !need(topic_len + 2)) return parse_status::corrupt;
  out.topic = std::string_view(p + pos, topic_len);
  pos += topic_len;
  auto prop_len = static_cast<size_t>(static_cast<uint16_t>((static_cast<unsigned char>(p[pos]) << 8) |
                                                            static_cast<unsigned char>(p[pos + 1])));
  pos += 2;
  if (prop_len > 32767 || !need(prop_len)) return parse_status::corrupt;
  out.properties = std::string_view(p + pos, prop_len);
  pos += prop_len;
  if (pos != static_cast<size_t>(total)) return parse_status::corrupt;
  if (check_crc) {
    if (mq::rocketmq_crc32(out.body) != out.body_crc) return parse_status::crc_mismatch;
    // The body CRC does not cover the topic and properties. A write torn
    // inside a record leaves its tail zero; these checks catch every such
    // tail that changed a byte (tested at every cut position):
    // the topic must be a valid RocketMQ topic, properties never end with NUL,
    // and a stored record has a store time.
    if (out.topic.empty()) return parse_status::corrupt;
    for (char c : out.topic) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '%' ||
                c == '|' || c == '_' || c == '-';
      if (!ok) return parse_status::corrupt;
    }
    if (!out.properties.empty() && out.properties.back() == '\0') return parse_status::corrupt;
    if (out.store_timestamp <= 0) return parse_status::corrupt;
  }
  return parse_status::ok;
}

}  // namespace mq::store
