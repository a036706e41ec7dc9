// libFuzzer: the message record decoder (pull bodies, store records), the
// batch decoder and the properties decoder on arbitrary bytes. A decoded
// record must re-encode to exactly the bytes it came from.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mq/common/batch.h"
#include "mq/common/message_record.h"
#include "mq/common/properties.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t used = 0;
  auto m = mq::decode_record(in, /*check_crc=*/true, &used);
  if (m) {
    if (used == 0 || used > in.size()) std::abort();
    // Properties are re-serialized canonically (sorted, no empty values), so
    // the check is a decode of the re-encoding, not a byte comparison.
    auto again = mq::encode_record(*m);
    if (!again) std::abort();
    auto back = mq::decode_record(*again, true);
    if (!back || back->body != m->body || back->topic != m->topic || back->properties != m->properties ||
        back->commit_log_offset != m->commit_log_offset) {
      std::abort();
    }
  }
  (void)mq::decode_records(in, false);
  (void)mq::decode_batch(in);
  (void)mq::decode_properties(in);
  return 0;
}
