// message_store::open for gtest tests: a failure names the error.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "mq/store/message_store.h"

namespace mq::store::test {

inline std::unique_ptr<message_store> open_store(const message_store_config& c) {
  std::string err;
  auto s = message_store::open(c, &err);
  EXPECT_TRUE(s) << err;
  return s;
}

}  // namespace mq::store::test
