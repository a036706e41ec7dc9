#include "mq/remoting/executor.h"

#include <atomic>
#include <future>

#include <gtest/gtest.h>

namespace mq::remoting {
namespace {

TEST(BoundedExecutor, RunsTasks) {
  bounded_executor ex("t", 2, 100);
  std::atomic<int> n{0};
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(ex.try_submit([&] { n++; }));
  ex.shutdown();
  EXPECT_EQ(n.load(), 50);
}

TEST(BoundedExecutor, FullQueueRefusesInsteadOfGrowing) {
  bounded_executor ex("t", 1, 2);
  std::promise<void> gate;
  auto f = gate.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(ex.try_submit([&] {
    started.set_value();
    f.wait();
  }));
  started.get_future().wait();  // the only thread is now busy
  EXPECT_TRUE(ex.try_submit([] {}));
  EXPECT_TRUE(ex.try_submit([] {}));
  EXPECT_FALSE(ex.try_submit([] {}));  // capacity 2 reached
  EXPECT_EQ(ex.queued(), 2u);
  gate.set_value();
  ex.shutdown();
  EXPECT_FALSE(ex.try_submit([] {}));
}

TEST(BoundedExecutor, ThrowingTaskDoesNotKillTheWorker) {
  bounded_executor ex("t", 1, 10);
  std::atomic<int> n{0};
  ASSERT_TRUE(ex.try_submit([] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(ex.try_submit([&] { n++; }));
  ex.shutdown();
  EXPECT_EQ(n.load(), 1);
}

}  // namespace
}  // namespace mq::remoting
