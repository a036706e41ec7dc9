#include "mq/common/crc.h"

#include <zlib.h>

namespace mq {

int32_t rocketmq_crc32(std::string_view data) {
  uLong c = ::crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large inputs in pieces.
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  size_t left = data.size();
  while (left > 0) {
    uInt n = left > (1u << 30) ? (1u << 30) : static_cast<uInt>(left);
    c = ::crc32(c, p, n);
    p += n;
    left -= n;
  }
  return static_cast<int32_t>(c & 0x7FFFFFFFu);
}

}  // namespace mq
