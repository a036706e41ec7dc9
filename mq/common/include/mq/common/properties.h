// The properties string (rocketmq-protocol.md §4.3): k \x01 v \x02 k \x01 v.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace mq {

inline constexpr char name_value_separator = '\x01';
inline constexpr char property_separator = '\x02';

// Java's messageProperties2String: no trailing \x02; entries with an empty
// value are skipped (Java skips nulls).
std::string encode_properties(const std::map<std::string, std::string>& props);

// Java's string2messageProperties: split on \x02, skip segments shorter than
// 3 chars, and segments whose \x01 is first or last (empty key or value).
// A trailing \x02 (ali-ons) is tolerated; "null" stays the literal text.
std::map<std::string, std::string> decode_properties(std::string_view text);

}  // namespace mq
