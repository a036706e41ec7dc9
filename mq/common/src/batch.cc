#include "mq/common/batch.h"

#include <limits>

#include "mq/common/bytes.h"
#include "mq/common/message_const.h"
#include "mq/common/properties.h"

namespace mq {

namespace {
constexpr size_t kInnerHeader = 4 + 4 + 4 + 4 + 4 + 2;  // everything but body and properties
}  // namespace

result<std::string> encode_batch(const std::vector<message>& msgs) {
  std::string out;
  for (const auto& m : msgs) {
    std::string props = encode_properties(m.properties);
    if (props.size() > max_properties_length) {
      return status::error(errc::too_large, "properties of a batch message exceed 32767 bytes");
    }
    const size_t total = kInnerHeader + m.body.size() + props.size();
    if (total > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return status::error(errc::too_large, "batch message body too large");
    }
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
  if (body.empty()) return status::error(errc::invalid_argument, "empty batch body");
  std::vector<message> out;
  byte_reader r(body);
  while (r.remaining() > 0) {
    const size_t start = r.pos();
    const std::string where =
        "batch message " + std::to_string(out.size()) + " at byte " + std::to_string(start);
    const int32_t total = r.read_i32();
    r.read_i32();  // MAGICCODE
    r.read_i32();  // BODYCRC
    message m;
    m.flag = r.read_i32();
    const int32_t body_len = r.read_i32();
    if (!r.ok()) return status::error(errc::corrupt, where + ": header truncated");
    if (body_len < 0) return status::error(errc::corrupt, where + ": negative body length");
    auto b = r.read_bytes(static_cast<size_t>(body_len));
    const int16_t props_len = r.read_i16();
    if (!r.ok()) return status::error(errc::corrupt, where + ": body length exceeds the batch");
    if (props_len < 0) return status::error(errc::corrupt, where + ": negative properties length");
    auto props = r.read_bytes(static_cast<size_t>(props_len));
    if (!r.ok()) return status::error(errc::corrupt, where + ": properties length exceeds the batch");
    if (total < 0 || r.pos() - start != static_cast<size_t>(total)) {
      return status::error(errc::corrupt, where + ": TOTALSIZE " + std::to_string(total) +
                                              " does not match its fields (" +
                                              std::to_string(r.pos() - start) + ")");
    }
    m.body = std::string(b);
    m.properties = decode_properties(props);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace mq
