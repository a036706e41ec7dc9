// SEND_BATCH_MESSAGE body (rocketmq-protocol.md §4.7): inner messages back
// to back, each
//   int32 TOTALSIZE | int32 MAGICCODE(0) | int32 BODYCRC(0) | int32 FLAG |
//   int32 BODYLEN | body | int16 PROPLEN | properties
// Topic, queue, sysFlag and born time come from the request header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq {

result<std::string> encode_batch(const std::vector<message>& msgs);
// Inner messages get an empty topic. Bounds-checked.
result<std::vector<message>> decode_batch(std::string_view body);

}  // namespace mq
