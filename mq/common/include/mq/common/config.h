// broker.conf / namesrv.conf reading with java.util.Properties semantics, the
// command line of mqnamesrv / mqbroker, and typed access with RocketMQ's
// conversions (MixAll.properties2Object). Keys keep RocketMQ's spelling
// (listenPort, brokerIP1, ...). Pure functions, thread-safe.
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

// java.util.Properties.load:
//  * lines end at \n, \r or \r\n; a line whose first non-blank char is '#'
//    or '!' is a comment; blank lines are skipped ("blank" = ' ', \t, \f);
//  * a line ending in an odd number of backslashes continues on the next
//    line, whose leading blanks are dropped;
//  * the key ends at the first unescaped '=', ':' or blank; blanks, then one
//    '=' or ':', then blanks are skipped; the rest of the line is the value,
//    trailing blanks included (Java keeps them);
//  * escapes \t \n \r \f \uXXXX, and \<c> = c for any other c (so `\=`,
//    `\:`, `\ ` and `\\` in keys and values). \uXXXX becomes UTF-8 (a
//    surrogate pair of escapes one code point, a lone surrogate '?', as
//    Java's getBytes(UTF_8) writes it);
//  * a later key replaces an earlier one.
// Other bytes pass through unchanged (Java reads the file as ISO-8859-1;
// passing bytes through keeps UTF-8 values intact instead).
// Error (invalid_argument): a malformed \uXXXX escape, as Java throws.
result<properties_map> parse_properties_text(std::string_view text);
// Reads and parses a file. Errors: not_found (cannot open), or the parse
// error prefixed with the path.
result<properties_map> load_properties_file(const std::string& path);

// The command line of mqnamesrv / mqbroker.
struct command_line {
  std::optional<std::string> config_file;   // -c <file> / --configFile <file>
  std::optional<std::string> namesrv_addr;  // -n <addr> / --namesrvAddr <addr>
  bool print_config = false;                // -p / --printConfigItem
  bool print_important_config = false;      // -m / --printImportantConfig
  bool help = false;                        // -h / --help
  properties_map overrides;                 // key=value / --key=value
};

// Parses the arguments (without the program name). Errors
// (invalid_argument, naming the offending argument): an unknown dash
// option, an option missing its value, `=value` with an empty key.
result<command_line> parse_command_line(const std::vector<std::string>& args);
// The same over main()'s argv (argv[0] is skipped).
result<command_line> parse_command_line(int argc, const char* const* argv);

// Layers the command line over `base` (usually the file's values):
// base < -n (as namesrvAddr) < key=value overrides.
properties_map merge(properties_map base, const command_line& cl);

// defaults < the -c file (when given) < -n < key=value. Errors: the file's.
result<properties_map> effective_config(const command_line& cl, const properties_map& defaults = {});

// Typed access as RocketMQ converts values, with clear errors. Values are
// trimmed first (Java String.trim: chars <= ' ').
//  * get_int / get_int64: Integer.parseInt / Long.parseLong (optional sign,
//    decimal digits, in range); otherwise invalid_argument, e.g.
//    "listenPort: 'abc' is not an integer". An absent key is `fallback`.
//  * get_bool: Boolean.parseBoolean: "true" in any case is true, any other
//    text false; absent is `fallback`.
//  * get_string: the trimmed value (properties2Object trims strings).
result<int32_t> get_int(const properties_map& m, const std::string& key, int32_t fallback);
result<int64_t> get_int64(const properties_map& m, const std::string& key, int64_t fallback);
bool get_bool(const properties_map& m, const std::string& key, bool fallback);
std::string get_string(const properties_map& m, const std::string& key, const std::string& fallback);

}  // namespace mq
