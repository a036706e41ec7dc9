// libFuzzer: the remoting frame decoder and both header codecs, plus the
// lenient fastjson parser, on arbitrary bytes. Any crash, sanitizer report or
// broken invariant is a finding.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mq/remoting/frame.h"
#include "mq/remoting/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mq::remoting;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  // Decode frames back to back as a connection would, with a small max size.
  while (pos < in.size()) {
    remoting_command cmd;
    auto r = decode_frame(in.substr(pos), cmd, 1 << 20);
    if (r.status == decode_status::need_more) {
      if (r.needed <= in.size() - pos) std::abort();  // must only ask for more than it has
      if (r.needed > (1u << 20) + 4) std::abort();    // never beyond max frame + length word
      break;
    }
    if (r.status != decode_status::frame) break;
    if (r.consumed == 0 || r.consumed > in.size() - pos) std::abort();
    pos += r.consumed;
    // Re-encoding a decoded command must decode to the same command.
    std::string again = encode_frame(cmd);
    remoting_command back;
    if (decode_frame(again, back, 1 << 30).status != decode_status::frame) std::abort();
    if (back.code != cmd.code || back.opaque != cmd.opaque || back.body != cmd.body) std::abort();
  }
  remoting_command h;
  (void)decode_rocketmq_header(in, h, nullptr);
  (void)decode_json_header(in, h, nullptr);
  (void)parse_lenient(in);
  return 0;
}
