// libFuzzer: the broker's SQL92 filter parser and evaluator on arbitrary
// text. Whatever compiles must evaluate without crashing, over no
// properties and over properties named like the identifiers it may use.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sql_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto f = mq::broker::sql_filter::compile(in);
  if (f) {
    (void)f->matches({});
    (void)f->matches({{"a", "1"}, {"b", "x"}, {"TAGS", "TagA"}, {"c", "true"}, {"d", "-2.5"}});
  }
  return 0;
}
