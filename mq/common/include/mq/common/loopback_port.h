// Free TCP ports on 127.0.0.1 for tests and tools that start servers.
//
//   uint16_t p = mq::loopback_free_port();          // 10000..31999
//   uint16_t b = mq::loopback_free_port(2, 1);     // p-2..p+1 free (a broker:
//                                                  // fast port, HA port)
//
// Ports come from below Linux's ephemeral range (32768-60999 by default), so
// no outgoing connection can take one between this check and the server's
// bind, as port 0 could. Random, so parallel test processes rarely collide.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <random>
#include <stdexcept>

namespace mq {

inline bool loopback_port_bindable(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A port p with p-below..p+above all bindable.
inline uint16_t loopback_free_port(int below = 0, int above = 0) {
  static std::mutex mu;
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::lock_guard lk(mu);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int p = 10000 + static_cast<int>(rng() % 22000);
    bool ok = true;
    for (int q = p - below; ok && q <= p + above; ++q) ok = loopback_port_bindable(static_cast<uint16_t>(q));
    if (ok) return static_cast<uint16_t>(p);
  }
  throw std::runtime_error("no free loopback port in 10000-31999");
}

}  // namespace mq
