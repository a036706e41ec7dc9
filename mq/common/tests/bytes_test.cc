#include "mq/common/bytes.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace mq {
namespace {

TEST(Bytes, PutIsBigEndian) {
  std::string s;
  put_i8(s, -1);
  put_i16(s, 0x1234);
  put_i16(s, -2);
  put_i32(s, static_cast<int32_t>(0xDAA320A7u));
  put_i64(s, 0x0102030405060708LL);
  put_i64(s, -1);
  EXPECT_EQ(test::to_hex(s),
            "FF"
            "1234"
            "FFFE"
            "DAA320A7"
            "0102030405060708"
            "FFFFFFFFFFFFFFFF");
}

TEST(Bytes, ReaderReadsWhatPutWrote) {
  std::string s;
  put_i8(s, -5);
  put_i16(s, -300);
  put_i32(s, -626843481);
  put_i64(s, -9000000000LL);
  s += "tail";
  byte_reader r(s);
  EXPECT_EQ(r.read_i8(), -5);
  EXPECT_EQ(r.read_i16(), -300);
  EXPECT_EQ(r.read_i32(), -626843481);
  EXPECT_EQ(r.read_i64(), -9000000000LL);
  EXPECT_EQ(r.pos(), 15u);
  EXPECT_EQ(r.remaining(), 4u);
  EXPECT_EQ(r.read_bytes(4), "tail");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.read_bytes(0), "");
  EXPECT_TRUE(r.ok());
}

TEST(Bytes, ShortInputFailsAndStaysFailed) {
  const std::string s = test::unhex("010203");
  byte_reader r(s);
  EXPECT_EQ(r.read_i32(), 0);  // 3 bytes left: nothing is read
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.pos(), 0u);
  EXPECT_EQ(r.read_i8(), 0);  // sticky: even a read that would fit fails
  EXPECT_FALSE(r.ok());

  byte_reader b(s);
  EXPECT_EQ(b.read_bytes(4), "");
  EXPECT_FALSE(b.ok());
  byte_reader huge(s);
  EXPECT_EQ(huge.read_bytes(static_cast<size_t>(-1)), "");  // no overflow in the bounds check
  EXPECT_FALSE(huge.ok());

  byte_reader empty{std::string_view()};
  EXPECT_EQ(empty.read_i64(), 0);
  EXPECT_FALSE(empty.ok());
}

}  // namespace
}  // namespace mq
