#include "mq/remoting/json.h"

#include <gtest/gtest.h>

namespace mq::remoting {
namespace {

// TopicRouteData as the Java name server writes it for old clients (§3.1),
// typed in from the document.
const char* kRouteUnquoted =
    R"({"brokerDatas":[{"brokerAddrs":{0:"10.0.0.5:10911",1:"10.0.0.6:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})";

TEST(Lenient, ParsesUnquotedIntegerKeys) {
  auto j = parse_lenient(kRouteUnquoted);
  ASSERT_TRUE(j.has_value());
  const auto& addrs = (*j)["brokerDatas"][0]["brokerAddrs"];
  EXPECT_EQ(addrs["0"], "10.0.0.5:10911");
  EXPECT_EQ(addrs["1"], "10.0.0.6:10911");
  EXPECT_EQ((*j)["queueDatas"][0]["perm"], 6);
}

TEST(Lenient, WritesCompactStandardJsonWithSortedQuotedKeys) {
  auto j = parse_lenient(kRouteUnquoted);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(to_json(*j),
            R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.5:10911","1":"10.0.0.6:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})");
}

TEST(Lenient, ObjectKeysBecomeStrings) {
  auto j = parse_lenient(
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"lastUpdateTimestamp":1,"maxOffset":5,"minOffset":0}}})");
  ASSERT_TRUE(j.has_value());
  auto& t = (*j)["offsetTable"];
  ASSERT_EQ(t.size(), 1u);
  auto key = nlohmann::json::parse(t.begin().key());
  EXPECT_EQ(key["topic"], "t");
  EXPECT_EQ(t.begin().value()["maxOffset"], 5);
}

TEST(Lenient, StandardJsonPassesUnchanged) {
  std::string s = R"({"a":"x:{y}","b":[1,{"c":"\"q\""}],"d":{}})";
  auto n = normalize_fastjson(s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, s);
}

TEST(Lenient, BrokenInputIsRejectedNotCrashed) {
  for (const char* bad : {"{", "}", "{\"a\":1", "{\"a", "[1,2", "{0:}", "{{\"a\":1}", "]", "{:1}"}) {
    EXPECT_FALSE(parse_lenient(bad).has_value()) << bad;
  }
  std::string deep(10000, '[');
  EXPECT_FALSE(parse_lenient(deep).has_value());
}

}  // namespace
}  // namespace mq::remoting
