// Atomic persistence for the broker's JSON config files (topics.json,
// consumerOffset.json, subscriptionGroup.json, delayOffset.json), with
// RocketMQ's file names (C/MixAll.java string2File, C/ConfigManager.java):
//   <f>.tmp  new content, fsync'ed, then renamed over <f> (dir fsync'ed)
//   <f>.bak  the previous content, kept for readers when <f> is damaged
// A crash at any point leaves either the old or the new content in <f>,
// never a torn mix.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace mq {

// Write `content` to `path` atomically. False + *error on I/O failure (the
// old file is then untouched).
bool write_file_atomic(const std::string& path, const std::string& content, std::string* error);

// Read `path`; when it is missing, empty, or `valid` rejects it, read
// `<path>.bak`. std::nullopt when neither is usable.
std::optional<std::string> read_config_file(const std::string& path,
                                            const std::function<bool(const std::string&)>& valid = nullptr);

}  // namespace mq
