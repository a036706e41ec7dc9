// Remoting benchmarks (figures go to docs/benchmarks.md):
//   BM_SendV2EncodeDecode  encode + decode of a SEND_MESSAGE_V2 request, 1 KiB body
//   BM_LoopbackRoundTrip/N  request/response through our server and client on
//                           127.0.0.1 with N requests in flight (1 and 64)
#include <atomic>
#include <condition_variable>
#include <mutex>

#include <benchmark/benchmark.h>

#include "mq/remoting/client.h"
#include "mq/remoting/frame.h"
#include "mq/remoting/server.h"

namespace mq::remoting {
namespace {

remoting_command send_v2_request() {
  auto c = remoting_command::request(request_code::SEND_MESSAGE_V2);
  c.opaque = 12345;
  c.set("a", "please_rename_unique_group_name");
  c.set("b", "TopicTest");
  c.set("c", "TBW102");
  c.set("d", "4");
  c.set("e", "3");
  c.set("f", "0");
  c.set("g", "1700000000000");
  c.set("h", "0");
  c.set("i", std::string("KEYS\x01order-42\x02TAGS\x01TagA\x02WAIT\x01true\x02UNIQ_KEY\x01"
                         "7F0000010D4C18B4AAC2171A4A2A0000"));
  c.set("j", "0");
  c.set("k", "false");
  c.set("m", "false");
  c.set("n", "broker-a");
  c.body.assign(1024, 'x');
  return c;
}

void BM_SendV2EncodeDecode(benchmark::State& state) {
  auto cmd = send_v2_request();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string frame = encode_frame(cmd);
    remoting_command out;
    auto r = decode_frame(frame, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out);
    bytes += frame.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_SendV2EncodeDecode);

void BM_LoopbackRoundTrip(benchmark::State& state) {
  const int in_flight = static_cast<int>(state.range(0));
  server_options so;
  so.bind_address = "127.0.0.1";
  remoting_server server(so);
  auto pool = std::make_shared<bounded_executor>("bench", 2, 100000);
  server.register_processor(
      request_code::SEND_MESSAGE_V2,
      [](const channel_ptr&, remoting_command& req) {
        auto r = remoting_command::response_to(req, response_code::SUCCESS);
        r.set("msgId", "7F00000100002A9F0000000000001F40");
        r.set("queueId", "3");
        r.set("queueOffset", "7");
        return std::optional<remoting_command>(std::move(r));
      },
      pool);
  if (!server.start()) {
    state.SkipWithError("server did not start");
    return;
  }
  remoting_client client;
  const std::string addr = "127.0.0.1:" + std::to_string(server.port());
  auto req = send_v2_request();
  if (!client.invoke_sync(addr, req, std::chrono::seconds(3)).ok()) {
    state.SkipWithError("warm-up request failed");
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;
  std::atomic<int64_t> failures{0};
  int64_t done = 0;
  for (auto _ : state) {
    // One iteration = one request; keep `in_flight` outstanding.
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding < in_flight; });
    ++outstanding;
    lock.unlock();
    client.invoke_async(addr, req, std::chrono::seconds(10), [&](invoke_result r) {
      if (!r.ok()) failures++;
      std::lock_guard g(mu);
      --outstanding;
      cv.notify_one();
    });
    ++done;
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return outstanding == 0; });
  state.SetItemsProcessed(done);
  state.counters["failures"] = static_cast<double>(failures.load());
  lock.unlock();
  client.shutdown();
  server.stop();
}
BENCHMARK(BM_LoopbackRoundTrip)->Arg(1)->Arg(64)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace mq::remoting

BENCHMARK_MAIN();
