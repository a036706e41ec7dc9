// SQL92 message filters (rocketmq-protocol.md §2.1 PULL_MESSAGE expressionType
// SQL92; RocketMQ's filter module): a boolean expression over a message's
// properties (user properties and TAGS), evaluated on the broker at pull time.
//
//   a > 5 AND (b = 'x' OR c IN ('p', 'q')) AND d IS NOT NULL AND e BETWEEN 0 AND 3
//
// Grammar (keywords in any case):
//   expr    := and (OR and)*
//   and     := not (AND not)*
//   not     := NOT not | cmp
//   cmp     := value [ (= | <> | != | > | >= | < | <=) value
//                    | [NOT] BETWEEN value AND value
//                    | [NOT] IN '(' string (',' string)* ')'
//                    | IS [NOT] NULL ]
//   value   := identifier | integer | decimal | 'string' ('' escapes ') | TRUE | FALSE
//              | NULL | '(' expr ')'
// Identifiers: [A-Za-z_$][A-Za-z0-9_$.]*.
//
// Values: a property is text; compared with a number it is read as a number
// (not a number → no match); with a string or boolean it is compared as text.
// A missing property is NULL: every comparison with NULL is unknown, and an
// unknown result does not match (three-valued logic: NOT unknown = unknown).
//
// Bounds against hostile input: at most 4096 characters and 64 levels of
// nesting; errors name the position. Pure functions, thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "mq/common/result.h"

namespace mq::broker {

struct sql_node;

class sql_filter {
 public:
  // Errors: invalid_argument with "position N: ...".
  static result<sql_filter> compile(std::string_view text);
  // True only when the expression is true for these properties.
  bool matches(const std::map<std::string, std::string>& props) const;
  const std::string& text() const { return text_; }

 private:
  std::shared_ptr<const sql_node> root_;
  std::string text_;
};

}  // namespace mq::broker
