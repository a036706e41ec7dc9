// Sans-io frame codec for the remoting protocol (docs/format/remoting.md).
//
//   encode_frame(cmd)              -> the bytes to write, header in cmd.type
//   frame_decoder::decode(buffer)  -> need more / one frame / error
//
// The decoder never allocates: it inspects the caller's buffer, and the
// caller grows its buffer only up to `length` after `length` passed the
// max-frame check. Errors are final for the connection (the caller closes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mq/remoting/remoting_command.h"

namespace mq::remoting {

// Java's default frameMaxLength (com.rocketmq.remoting.frameMaxLength).
inline constexpr size_t default_max_frame_size = 16 * 1024 * 1024;

// Serialize a command into one frame.
std::string encode_frame(const remoting_command& cmd);

enum class decode_status {
  need_more,        // `needed` tells how many bytes the buffer must hold in total
  frame,            // one complete frame decoded into `command`; `consumed` bytes used
  bad_length,       // negative length, length < 4, or headerLength > length - 4
  too_large,        // length > max frame size
  bad_header,       // header does not parse (JSON or ROCKETMQ) or unknown serialize type
};

struct decode_result {
  decode_status status = decode_status::need_more;
  size_t needed = 4;     // total buffer bytes needed (need_more)
  size_t consumed = 0;   // bytes of `buffer` that form the frame (frame)
  std::string error;     // human-readable reason (errors)
};

// Decode the first frame in `buffer`. Pure function; safe on any input.
// On `frame`, `out` holds the command including its body.
decode_result decode_frame(std::string_view buffer, remoting_command& out,
                           size_t max_frame_size = default_max_frame_size);

const char* to_string(decode_status s);

}  // namespace mq::remoting
