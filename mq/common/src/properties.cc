#include "mq/common/properties.h"

namespace mq {

std::string encode_properties(const std::map<std::string, std::string>& props) {
  std::string out;
  for (const auto& [k, v] : props) {
    if (v.empty() || k.empty()) continue;
    if (!out.empty()) out.push_back(property_separator);
    out += k;
    out.push_back(name_value_separator);
    out += v;
  }
  return out;
}

std::map<std::string, std::string> decode_properties(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find(property_separator, i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view seg = text.substr(i, end - i);
    i = end + 1;
    if (seg.size() < 3) continue;
    size_t sep = seg.find(name_value_separator);
    // Java: index > 0 and index < length - 1.
    if (sep == std::string_view::npos || sep == 0 || sep >= seg.size() - 1) continue;
    out[std::string(seg.substr(0, sep))] = std::string(seg.substr(sep + 1));
  }
  return out;
}

}  // namespace mq
