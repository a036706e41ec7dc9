// The SQL92 filter: grammar, three-valued evaluation, hostile input.
#include "sql_filter.h"

#include <gtest/gtest.h>

namespace mq::broker {
namespace {

bool m(const std::string& expr, const std::map<std::string, std::string>& props) {
  auto f = sql_filter::compile(expr);
  EXPECT_TRUE(f) << expr << ": " << f.error().message;
  return f && f->matches(props);
}

TEST(SqlFilter, TheSeedsExampleAndComparisons) {
  // seed 004 §4.5: consumer.subscribe("TopicTest", MessageSelector.bySql("a between 0 and 3"))
  for (int a = -2; a <= 6; ++a) EXPECT_EQ(m("a between 0 and 3", {{"a", std::to_string(a)}}), a >= 0 && a <= 3) << a;
  EXPECT_FALSE(m("a between 0 and 3", {}));  // missing → NULL → no match
  EXPECT_TRUE(m("a NOT BETWEEN 0 AND 3", {{"a", "7"}}));
  EXPECT_TRUE(m("a > 5", {{"a", "6"}}));
  EXPECT_FALSE(m("a > 5", {{"a", "5"}}));
  EXPECT_TRUE(m("a >= 5 AND a <= 5 AND a = 5 AND a <> 6 AND a != 7", {{"a", "5"}}));
  EXPECT_TRUE(m("price < 10.5", {{"price", "10.25"}}));
  EXPECT_TRUE(m("a > -3", {{"a", "-2"}}));
  EXPECT_FALSE(m("a > 5", {{"a", "six"}}));  // not a number: no match
  EXPECT_TRUE(m("b = 'x'", {{"b", "x"}}));
  EXPECT_TRUE(m("b <> 'x'", {{"b", "y"}}));
  EXPECT_TRUE(m("b = 'it''s'", {{"b", "it's"}}));
  EXPECT_FALSE(m("b > 'a'", {{"b", "b"}}));  // no ordering of strings
  EXPECT_TRUE(m("TAGS IN ('TagA', 'TagB')", {{"TAGS", "TagB"}}));
  EXPECT_FALSE(m("TAGS IN ('TagA', 'TagB')", {{"TAGS", "TagC"}}));
  EXPECT_TRUE(m("TAGS NOT IN ('TagA')", {{"TAGS", "TagC"}}));
  EXPECT_TRUE(m("c IS NULL", {}));
  EXPECT_FALSE(m("c IS NOT NULL", {}));
  EXPECT_TRUE(m("c IS NOT NULL", {{"c", ""}}));
  EXPECT_TRUE(m("flag = TRUE", {{"flag", "true"}}));
  EXPECT_TRUE(m("flag", {{"flag", "TRUE"}}));
  EXPECT_TRUE(m("TRUE", {}));
  EXPECT_FALSE(m("FALSE", {}));
}

TEST(SqlFilter, PrecedenceAndThreeValuedLogic) {
  // AND binds tighter than OR.
  EXPECT_TRUE(m("a = 1 OR b = 1 AND c = 1", {{"a", "1"}}));
  EXPECT_FALSE(m("(a = 1 OR b = 1) AND c = 1", {{"a", "1"}}));
  EXPECT_TRUE(m("NOT a = 1", {{"a", "2"}}));
  EXPECT_FALSE(m("NOT a = 1", {}));        // NOT unknown = unknown
  EXPECT_TRUE(m("NOT (a = 1) OR TRUE", {}));  // unknown OR true = true
  EXPECT_FALSE(m("a = 1 AND TRUE", {}));
  EXPECT_TRUE(m("not not a = 1", {{"a", "1"}}));
  EXPECT_TRUE(m("A = 1 And b = 2 oR c = 3", {{"A", "1"}, {"b", "2"}}));  // keywords in any case, names exact
  EXPECT_FALSE(m("a = 1", {{"A", "1"}}));
}

TEST(SqlFilter, BadExpressionsAreRefusedWithAPosition) {
  for (const char* bad : {"", "   ", "a >", "a = 'x", "a BETWEEN 1", "a IN (1, 2)", "a IN ('x'", "(a = 1", "a = 1)",
                          "a = 1 AND", "a IS 5", "a NOT = 1", "a ! 1", "a = 1 # b", "AND a = 1", "a = (b = 1)",
                          "a = 1e5x"}) {
    auto f = sql_filter::compile(bad);
    EXPECT_FALSE(f) << "'" << bad << "'";
    if (!f && std::string(bad).find_first_not_of(' ') != std::string::npos) {
      EXPECT_NE(f.error().message.find("position"), std::string::npos) << bad << ": " << f.error().message;
    }
  }
}

TEST(SqlFilter, HostileInputIsBounded) {
  std::string deep(200, '(');
  deep += "a = 1";
  deep += std::string(200, ')');
  auto f = sql_filter::compile(deep);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("nested"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 200; ++i) nots += "NOT ";
  EXPECT_FALSE(sql_filter::compile(nots + "a = 1"));
  EXPECT_FALSE(sql_filter::compile(std::string(5000, 'a')));  // too long
  std::string wide = "a = 1";
  for (int i = 0; i < 300; ++i) wide += " OR a = " + std::to_string(i);  // long but flat: fine
  ASSERT_LT(wide.size(), 4096u);
  auto w = sql_filter::compile(wide);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_TRUE(w->matches({{"a", "299"}}));
  for (unsigned c = 1; c < 256; ++c) (void)sql_filter::compile(std::string("a = ") + static_cast<char>(c));  // no crash
}

}  // namespace
}  // namespace mq::broker
