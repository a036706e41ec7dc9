#include "mq/common/result.h"

#include <memory>

#include <gtest/gtest.h>

namespace mq {
namespace {

result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return status::error(errc::invalid_argument, std::string("not a digit: ") + c);
  return c - '0';
}

TEST(Result, StatusDefaultsToOk) {
  status s;
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(status::success().ok());
  status e = status::error(errc::corrupt, "bad");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.code, errc::corrupt);
  EXPECT_EQ(e.message, "bad");
}

TEST(Result, ValueOrError) {
  auto good = parse_digit('7');
  ASSERT_TRUE(good);
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  EXPECT_EQ(good.value(), 7);
  EXPECT_TRUE(good.error().ok());

  auto bad = parse_digit('x');
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
  EXPECT_EQ(bad.error().message, "not a digit: x");
}

TEST(Result, HoldsMoveOnlyValues) {
  result<std::unique_ptr<int>> r(std::make_unique<int>(3));
  ASSERT_TRUE(r);
  std::unique_ptr<int> p = std::move(*r);
  EXPECT_EQ(*p, 3);
  result<std::string> s(std::string("abc"));
  EXPECT_EQ(s->size(), 3u);
}

}  // namespace
}  // namespace mq
