#include "mq/common/batch.h"

#include "mq/common/bytes.h"
#include "mq/common/message_const.h"
#include "mq/common/properties.h"

namespace mq {

result<std::string> encode_batch(const std::vector<message>& msgs) {
  std::string out;
  for (const auto& m : msgs) {
    std::string props = encode_properties(m.properties);
    if (props.size() > max_properties_length) return status::error(errc::too_large, "properties too long");
    size_t total = 4 + 4 + 4 + 4 + 4 + m.body.size() + 2 + props.size();
    put_i32(out, static_cast<int32_t>(total));
    put_i32(out, 0);  // MAGICCODE
    put_i32(out, 0);  // BODYCRC
    put_i32(out, m.flag);
    put_i32(out, static_cast<int32_t>(m.body.size()));
    out += m.body;
    put_i16(out, static_cast<int16_t>(props.size()));
    out += props;
  }
  return out;
}

result<std::vector<message>> decode_batch(std::string_view body) {
  std::vector<message> out;
  byte_reader r(body);
  while (r.ok() && r.remaining() > 0) {
    size_t start = r.pos();
    int32_t total = r.read_i32();
    r.read_i32();  // magic
    r.read_i32();  // body crc
    message m;
    m.flag = r.read_i32();
    int32_t body_len = r.read_i32();
    if (!r.ok() || body_len < 0 || total < 22) return status::error(errc::corrupt, "batch entry header truncated");
    m.body = std::string(r.read_bytes(static_cast<size_t>(body_len)));
    auto props_len = static_cast<uint16_t>(r.read_i16());
    auto props = r.read_bytes(props_len);
    if (!r.ok()) return status::error(errc::corrupt, "batch entry exceeds the body");
    if (r.pos() - start != static_cast<size_t>(total)) {
      return status::error(errc::corrupt, "batch entry size does not match its fields");
    }
    m.properties = decode_properties(props);
    out.push_back(std::move(m));
  }
  if (out.empty()) return status::error(errc::invalid_argument, "empty batch");
  return out;
}

}  // namespace mq
