// broker.conf / namesrv.conf reading with Java Properties semantics, and the
// command line of mqnamesrv / mqbroker (`-c file`, `-n addr`, `-p`,
// `key=value` overrides).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mq/common/result.h"

namespace mq {

using properties_map = std::map<std::string, std::string>;

// java.util.Properties.load: '#' / '!' comment lines; key and value split at
// the first unescaped '=', ':' or whitespace (surrounding whitespace
// trimmed); a line ending in an odd number of backslashes continues; escapes
// \t \n \r \f \uXXXX and \<char>. Trailing whitespace of a value is kept.
result<properties_map> parse_properties_text(std::string_view text);
result<properties_map> load_properties_file(const std::string& path);

struct command_line {
  std::optional<std::string> config_file;   // -c
  std::optional<std::string> namesrv_addr;  // -n
  bool print_config = false;                // -p
  bool help = false;                        // -h
  properties_map overrides;                 // key=value / --key=value
};

// Unknown dash options and a missing option argument are errors.
result<command_line> parse_command_line(const std::vector<std::string>& args);

// The effective configuration: defaults < file < -n < key=value.
result<properties_map> effective_config(const command_line& cl, const properties_map& defaults);

// Typed access with clear errors ("listenPort: 'abc' is not an integer").
result<int64_t> get_int(const properties_map& m, const std::string& key, int64_t fallback);
// Java Boolean.parseBoolean: "true" in any case is true, anything else false.
bool get_bool(const properties_map& m, const std::string& key, bool fallback);
std::string get_string(const properties_map& m, const std::string& key, const std::string& fallback);

}  // namespace mq
