// The SEND_BATCH_MESSAGE body (rocketmq-protocol.md §4.7, Java
// MessageDecoder.encodeMessage / encodeMessages): inner messages back to
// back, each
//   int32 TOTALSIZE | int32 MAGICCODE = 0 | int32 BODYCRC = 0 | int32 FLAG |
//   int32 BODYLEN | body | int16 PROPLEN | properties
// TOTALSIZE counts the whole inner message, itself included (22 + body +
// properties). Topic, queue id, sysFlag, born time and the batch-level
// properties come from the request header, not from the body.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mq/common/message.h"
#include "mq/common/result.h"

namespace mq {

// Only flag, body and properties of each message are written (topic is
// ignored). Errors: properties over 32767 bytes or a body over 2 GiB
// (too_large).
result<std::string> encode_batch(const std::vector<message>& msgs);

// Inner messages with flag, body and properties; topic is left empty (the
// caller takes it from the header). MAGICCODE and BODYCRC are ignored, as
// the Java broker ignores them. Bounds-checked: a TOTALSIZE that disagrees
// with the fields, a negative length, a length beyond the body or an empty
// body is an error (corrupt / invalid_argument); never reads out of bounds.
result<std::vector<message>> decode_batch(std::string_view body);

}  // namespace mq
