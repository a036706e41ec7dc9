// Child process for the SIGKILL test: opens a SYNC_FLUSH store, appends
// records forever, and after each acknowledged append prints
// "<index> <commit-log offset>\n" to stdout (unbuffered). Usage:
//   mq_store_crash_child <store dir> <first index>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "mq/store/message_store.h"
#include "test_util.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <store dir> <first index>\n", argv[0]);
    return 2;
  }
  auto cfg = mq::store::test::small_config(argv[1], mq::store::flush_disk_type::sync_flush);
  cfg.mapped_file_size_commit_log = 256 * 1024;
  std::string err;
  auto s = mq::store::message_store::open(cfg, &err);
  if (!s) {
    std::fprintf(stderr, "open: %s\n", err.c_str());
    return 1;
  }
  for (long i = std::atol(argv[2]);; ++i) {
    std::string body = "crash-" + std::to_string(i) + "-" + std::string(static_cast<size_t>(i % 700), 'p');
    auto r = s->put(mq::store::test::make_put("K", static_cast<int32_t>(i % 3), body, {{"KEYS", "id" + std::to_string(i)}}));
    if (!r.ok()) {
      std::fprintf(stderr, "put failed: %s\n", mq::store::to_string(r.status));
      return 1;
    }
    std::string line = std::to_string(i) + " " + std::to_string(r.wrote_offset) + "\n";
    if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
  }
}
