// A transactional producer in a process of its own, for the SIGKILL test:
// sends one half message whose local transaction answers UNKNOW, prints
// "sent <msgId> <pid>" and waits to be killed.
//   mq_client_tx_child <namesrv> <topic> <group>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "mq/client/producer.h"

namespace {
class unknown_listener : public mq::client::transaction_listener {
 public:
  mq::client::local_transaction_state execute_local_transaction(const mq::message&, const std::any&) override {
    return mq::client::local_transaction_state::UNKNOW;
  }
  mq::client::local_transaction_state check_local_transaction(const mq::message_ext&) override {
    return mq::client::local_transaction_state::UNKNOW;
  }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  unknown_listener l;
  mq::client::transaction_producer_options o;
  o.namesrv_addr = argv[1];
  o.group = argv[3];
  mq::client::transaction_producer p(o, &l);
  if (!p.start().ok()) return 1;
  mq::message m;
  m.topic = argv[2];
  m.body = "orphan of a killed producer";
  auto r = p.send_message_in_transaction(m, 0);
  if (!r) {
    std::fprintf(stderr, "send failed: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("sent %s %d\n", r->msg_id.c_str(), static_cast<int>(::getpid()));
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}
