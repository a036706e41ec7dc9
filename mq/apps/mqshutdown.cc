// mqshutdown broker|namesrv: send SIGTERM to the running mqbroker or
// mqnamesrv processes of this user and wait (up to 30 s) for them to exit,
// as RocketMQ's mqshutdown script does with `kill`.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::vector<pid_t> find(const std::string& name) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == ::getpid()) continue;
    std::ifstream comm(std::string("/proc/") + e->d_name + "/comm");
    std::string c;
    if (std::getline(comm, c) && c == name) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || (std::string(argv[1]) != "broker" && std::string(argv[1]) != "namesrv")) {
    std::fprintf(stderr, "usage: mqshutdown broker|namesrv\n");
    return 2;
  }
  std::string name = std::string(argv[1]) == "broker" ? "mqbroker" : "mqnamesrv";
  auto pids = find(name);
  if (pids.empty()) {
    std::printf("No %s running.\n", name.c_str());
    return 1;
  }
  for (pid_t p : pids) {
    if (::kill(p, SIGTERM) == 0) std::printf("The %s(%d) is running, sent SIGTERM...\n", name.c_str(), p);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    bool alive = false;
    for (pid_t p : pids) alive = alive || ::kill(p, 0) == 0;
    if (!alive) {
      std::printf("Send shutdown request to %s(%zu) OK\n", name.c_str(), pids.size());
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "%s did not exit within 30 s\n", name.c_str());
  return 1;
}
