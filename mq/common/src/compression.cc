#include "mq/common/compression.h"

#include <limits>

#include <zlib.h>

#include "mq/common/message_const.h"

namespace mq {

std::string zlib_compress(std::string_view data, int level) {
  if (data.size() > std::numeric_limits<uLong>::max() / 2) return {};
  uLongf bound = ::compressBound(static_cast<uLong>(data.size()));
  std::string out(bound, '\0');
  int rc = ::compress2(reinterpret_cast<Bytef*>(out.data()), &bound,
                       reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()), level);
  if (rc != Z_OK) return {};
  out.resize(bound);
  return out;
}

result<std::string> zlib_uncompress(std::string_view data, size_t max_out) {
  if (data.size() > std::numeric_limits<uInt>::max()) {
    return status::error(errc::too_large, "compressed body over 4 GiB");
  }
  z_stream zs{};
  if (::inflateInit(&zs) != Z_OK) return status::error(errc::io_error, "inflateInit failed");
  struct closer {
    z_stream* z;
    ~closer() { ::inflateEnd(z); }
  } close_on_exit{&zs};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    const int rc = ::inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof buf - zs.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return status::error(errc::corrupt, std::string("corrupt zlib data: ") + (zs.msg ? zs.msg : "error"));
    }
    if (produced > max_out - out.size()) {
      return status::error(errc::too_large,
                           "uncompressed body exceeds " + std::to_string(max_out) + " bytes");
    }
    out.append(buf, produced);
    if (rc == Z_STREAM_END) return out;
    if (produced == 0 && zs.avail_in == 0) return status::error(errc::corrupt, "truncated zlib data");
    if (rc == Z_BUF_ERROR && produced == 0)
      return status::error(errc::corrupt, "zlib data makes no progress");
  }
}

int32_t maybe_compress(message& m, size_t threshold) {
  if (m.body.size() < threshold) return 0;
  std::string c = zlib_compress(m.body, default_compress_level);
  if (c.empty()) return 0;
  m.body = std::move(c);
  return sys_flag::compressed;
}

}  // namespace mq
