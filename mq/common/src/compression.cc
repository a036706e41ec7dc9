#include "mq/common/compression.h"

#include <zlib.h>

#include "mq/common/message_const.h"

namespace mq {

std::string zlib_compress(std::string_view data, int level) {
  uLongf bound = ::compressBound(static_cast<uLong>(data.size()));
  std::string out(bound, '\0');
  int rc = ::compress2(reinterpret_cast<Bytef*>(out.data()), &bound, reinterpret_cast<const Bytef*>(data.data()),
                       static_cast<uLong>(data.size()), level);
  if (rc != Z_OK) return {};
  out.resize(bound);
  return out;
}

result<std::string> zlib_uncompress(std::string_view data, size_t max_out) {
  z_stream zs{};
  if (::inflateInit(&zs) != Z_OK) return status::error(errc::io_error, "inflateInit failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = ::inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      ::inflateEnd(&zs);
      return status::error(errc::corrupt, "corrupt zlib data");
    }
    size_t produced = sizeof buf - zs.avail_out;
    if (out.size() + produced > max_out) {
      ::inflateEnd(&zs);
      return status::error(errc::too_large, "uncompressed body exceeds " + std::to_string(max_out) + " bytes");
    }
    out.append(buf, produced);
    if (rc == Z_OK && zs.avail_in == 0 && produced == 0) {
      ::inflateEnd(&zs);
      return status::error(errc::corrupt, "truncated zlib data");
    }
  }
  ::inflateEnd(&zs);
  return out;
}

int32_t maybe_compress(message& m, size_t threshold) {
  if (m.body.size() < threshold) return 0;
  std::string c = zlib_compress(m.body, 5);
  if (c.empty()) return 0;
  m.body = std::move(c);
  return sys_flag::compressed;
}

}  // namespace mq
