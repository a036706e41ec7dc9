#include "mq/common/message.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <arpa/inet.h>

#include "mq/common/message_const.h"

namespace mq {

socket_address socket_address::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  socket_address s;
  s.ip = {a, b, c, d};
  s.port = port;
  return s;
}

std::optional<socket_address> socket_address::parse(std::string_view text) {
  std::string host;
  std::string_view port_text;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = std::string(text.substr(0, colon));
    if (host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535) {
    return std::nullopt;
  }
  socket_address s;
  s.port = static_cast<uint16_t>(port);
  unsigned char buf[16];
  if (!bracketed) {
    if (::inet_pton(AF_INET, host.c_str(), buf) != 1) return std::nullopt;
    std::copy(buf, buf + 4, s.ip.begin());
    return s;
  }
  if (::inet_pton(AF_INET6, host.c_str(), buf) != 1) return std::nullopt;
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(mapped, mapped + 12, buf)) {
    std::copy(buf + 12, buf + 16, s.ip.begin());
    return s;
  }
  std::copy(buf, buf + 16, s.ip.begin());
  s.v6 = true;
  return s;
}

std::string socket_address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v6) {
    ::inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port);
  }
  ::inet_ntop(AF_INET, ip.data(), buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(port);
}

const std::string* message::property(std::string_view key) const {
  auto it = properties.find(std::string(key));
  return it == properties.end() ? nullptr : &it->second;
}

void message::remove_property(std::string_view key) {
  properties.erase(std::string(key));
}

std::string message::tags() const {
  auto* t = property(property_tags);
  return t ? *t : std::string();
}

void message::set_tags(std::string tags) {
  put_property(std::string(property_tags), std::move(tags));
}

std::vector<std::string> message::keys() const {
  std::vector<std::string> out;
  auto* k = property(property_keys);
  if (!k) return out;
  size_t i = 0;
  while (i < k->size()) {
    size_t j = k->find(' ', i);
    if (j == std::string::npos) j = k->size();
    if (j > i) out.push_back(k->substr(i, j - i));
    i = j + 1;
  }
  return out;
}

void message::set_keys(const std::vector<std::string>& keys) {
  std::string joined;
  for (auto& k : keys) {
    if (!joined.empty()) joined.push_back(' ');
    joined += k;
  }
  put_property(std::string(property_keys), joined);
}

int message::delay_level() const {
  auto* d = property(property_delay_time_level);
  if (!d) return 0;
  std::string_view t = *d;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);  // Integer.parseInt accepts a '+'
  int v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || v < 0) return 0;
  return v;
}

void message::set_delay_level(int level) {
  put_property(std::string(property_delay_time_level), std::to_string(level));
}

bool message::wait_store_msg_ok() const {
  auto* w = property(property_wait_store_msg_ok);
  if (w == nullptr) return true;
  // Java: Boolean.parseBoolean, "true" in any case.
  if (w->size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (std::tolower(static_cast<unsigned char>((*w)[i])) != "true"[i]) return false;
  }
  return true;
}

void message::set_wait_store_msg_ok(bool wait) {
  put_property(std::string(property_wait_store_msg_ok), wait ? "true" : "false");
}

}  // namespace mq
