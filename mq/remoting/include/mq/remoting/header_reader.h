// Typed reads of a request's custom header (extFields) for request
// processors, as Java's decodeCommandCustomHeader checks @CFNotNull fields:
// the first required field that is missing or not a number is remembered,
// and error() turns it into the SYSTEM_ERROR reply RocketMQ gives.
//
//   header_reader f{request};
//   auto topic = f.str("topic");
//   auto q = f.num("queueId");
//   if (auto e = f.error()) return e;
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mq/remoting/remoting_command.h"

namespace mq::remoting {

struct header_reader {
  const remoting_command& cmd;
  std::string missing = {};

  // Required text / integer fields.
  std::string str(const char* k) {
    const std::string* v = cmd.field(k);
    if (!v) {
      note(k);
      return {};
    }
    return *v;
  }
  int64_t num(const char* k) {
    auto v = cmd.field_int(k);
    if (!v) {
      note(k);
      return 0;
    }
    return *v;
  }
  // Optional integer: absent is nullopt, present but malformed is an error.
  std::optional<int64_t> opt_num(const char* k) {
    if (!cmd.field(k)) return std::nullopt;
    auto v = cmd.field_int(k);
    if (!v) note(k);
    return v;
  }
  // Optional boolean (Java Boolean.parseBoolean: "true" in any case).
  bool flag(const char* k, bool fallback = false) const {
    const std::string* v = cmd.field(k);
    if (!v) return fallback;
    if (v->size() != 4) return false;
    auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); };
    return lower((*v)[0]) == 't' && lower((*v)[1]) == 'r' && lower((*v)[2]) == 'u' && lower((*v)[3]) == 'e';
  }
  std::optional<remoting_command> error() const {
    if (missing.empty()) return std::nullopt;
    return remoting_command::response_to(cmd, 1 /* SYSTEM_ERROR */,
                                         "the custom field <" + missing + "> is null or malformed");
  }

 private:
  void note(const char* k) {
    if (missing.empty()) missing = k;
  }
};

}  // namespace mq::remoting
