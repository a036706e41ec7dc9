// The message properties string (rocketmq-protocol.md §4.3):
//   k1 \x01 v1 \x02 k2 \x01 v2
// It travels in the send header (`properties`) and in the stored record.
// Pure functions, thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "mq/common/message_const.h"  // name_value_separator, property_separator

namespace mq {

// Java MessageDecoder.messageProperties2String: pairs joined by \x02 with no
// trailing \x02 (map order; Java's is HashMap order, which nobody relies on).
// Entries with an empty value are skipped (Java skips null values, and an
// empty value could not be decoded back); so are empty keys.
std::string encode_properties(const std::map<std::string, std::string>& props);

// Java MessageDecoder.string2messageProperties: split on \x02; skip segments
// shorter than 3 chars; a segment needs its first \x01 after its first char
// and before its last char, so empty keys and empty values are dropped; the
// value runs to the end of the segment (it may hold further \x01). A
// trailing \x02 (ali-ons) is harmless, and a value "null" (ali-ons's
// `TAGS\x01null`) stays the literal text "null". Later duplicates win.
// Never fails.
std::map<std::string, std::string> decode_properties(std::string_view text);

}  // namespace mq
