#include "mq/remoting/frame.h"

namespace mq::remoting {
namespace {

uint32_t read_u32(std::string_view b, size_t pos) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(b[pos])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[pos + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[pos + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[pos + 3]));
}

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

}  // namespace

std::string encode_frame(const remoting_command& cmd) {
  std::string header = cmd.type == serialize_type::rocketmq ? encode_rocketmq_header(cmd)
                                                             : encode_json_header(cmd);
  std::string out;
  out.reserve(8 + header.size() + cmd.body.size());
  put_u32(out, static_cast<uint32_t>(4 + header.size() + cmd.body.size()));
  put_u32(out, (static_cast<uint32_t>(cmd.type) << 24) | (header.size() & 0x00FFFFFF));
  out += header;
  out += cmd.body;
  return out;
}

decode_result decode_frame(std::string_view buffer, remoting_command& out, size_t max_frame_size) {
  decode_result r;
  if (buffer.size() < 4) {
    r.needed = 4;
    return r;
  }
  int32_t length = static_cast<int32_t>(read_u32(buffer, 0));
  if (length < 4) {
    r.status = decode_status::bad_length;
    r.error = "frame length " + std::to_string(length) + " is below 4";
    return r;
  }
  if (static_cast<size_t>(length) > max_frame_size) {
    r.status = decode_status::too_large;
    r.error = "frame length " + std::to_string(length) + " exceeds max " + std::to_string(max_frame_size);
    return r;
  }
  // The header word can be checked before the whole frame has arrived.
  if (buffer.size() < 8) {
    r.needed = 4 + static_cast<size_t>(length);
    return r;
  }
  uint32_t word = read_u32(buffer, 4);
  uint32_t header_len = word & 0x00FFFFFF;
  uint32_t type = word >> 24;
  if (header_len > static_cast<uint32_t>(length) - 4) {
    r.status = decode_status::bad_length;
    r.error = "header length " + std::to_string(header_len) + " exceeds frame length " + std::to_string(length);
    return r;
  }
  if (type > 1) {
    r.status = decode_status::bad_header;
    r.error = "unknown serialize type " + std::to_string(type);
    return r;
  }
  size_t total = 4 + static_cast<size_t>(length);
  if (buffer.size() < total) {
    r.needed = total;
    return r;
  }
  std::string_view header = buffer.substr(8, header_len);
  out = remoting_command{};
  bool ok = type == 0 ? decode_json_header(header, out, &r.error)
                      : decode_rocketmq_header(header, out, &r.error);
  if (!ok) {
    r.status = decode_status::bad_header;
    return r;
  }
  out.body.assign(buffer.substr(8 + header_len, total - 8 - header_len));
  r.status = decode_status::frame;
  r.consumed = total;
  return r;
}

const char* to_string(decode_status s) {
  switch (s) {
    case decode_status::need_more: return "need_more";
    case decode_status::frame: return "frame";
    case decode_status::bad_length: return "bad_length";
    case decode_status::too_large: return "too_large";
    case decode_status::bad_header: return "bad_header";
  }
  return "?";
}

}  // namespace mq::remoting
