#include "mq/common/config.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(PropertiesText, JavaSemantics) {
  auto r = parse_properties_text(
      "# comment\n"
      "  ! also a comment\n"
      "brokerClusterName = DefaultCluster\r\n"
      "brokerName:broker-a\n"
      "brokerId 0\n"
      "\n"
      "listenPort=10911   \n"
      "deleteWhen=\\\n"
      "    04\n"
      "path\\ with\\ spaces=c\\:\\\\store\n"
      "unicode=\\u8ba2\\u5355\n"
      "tab=a\\tb\n"
      "empty=\n"
      "eq==x\n"
      "last=no-newline");
  ASSERT_TRUE(r) << r.error().message;
  auto& m = *r;
  EXPECT_EQ(m["brokerClusterName"], "DefaultCluster");
  EXPECT_EQ(m["brokerName"], "broker-a");
  EXPECT_EQ(m["brokerId"], "0");
  EXPECT_EQ(m["listenPort"], "10911   ");  // Java keeps trailing whitespace
  EXPECT_EQ(m["deleteWhen"], "04");
  EXPECT_EQ(m["path with spaces"], "c:\\store");
  EXPECT_EQ(m["unicode"], "\xE8\xAE\xA2\xE5\x8D\x95");
  EXPECT_EQ(m["tab"], "a\tb");
  EXPECT_EQ(m["empty"], "");
  EXPECT_EQ(m["eq"], "=x");
  EXPECT_EQ(m["last"], "no-newline");
  EXPECT_EQ(m.count("# comment"), 0u);
  EXPECT_FALSE(parse_properties_text("bad=\\u12"));
  EXPECT_FALSE(parse_properties_text("bad=\\u12zz"));
}

TEST(CommandLine, OptionsOverridesAndErrors) {
  auto cl = parse_command_line({"-n", "127.0.0.1:9876", "-c", "/x/broker.conf", "listenPort=10921", "--brokerId=1", "-p"});
  ASSERT_TRUE(cl) << cl.error().message;
  EXPECT_EQ(*cl->namesrv_addr, "127.0.0.1:9876");
  EXPECT_EQ(*cl->config_file, "/x/broker.conf");
  EXPECT_TRUE(cl->print_config);
  EXPECT_EQ(cl->overrides["listenPort"], "10921");
  EXPECT_EQ(cl->overrides["brokerId"], "1");
  auto unknown = parse_command_line({"-z"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("-z"), std::string::npos);
  EXPECT_FALSE(parse_command_line({"-c"}));
  EXPECT_FALSE(parse_command_line({"=novalue"}));
}

TEST(CommandLine, EffectiveConfigPrecedence) {
  std::string path = ::testing::TempDir() + "/broker_test.conf";
  {
    std::ofstream f(path);
    f << "listenPort=10911\nbrokerName=from-file\nnamesrvAddr=file:9876\n";
  }
  auto cl = parse_command_line({"-c", path, "-n", "cli:9876", "brokerName=from-cli"});
  ASSERT_TRUE(cl);
  auto m = effective_config(*cl, {{"listenPort", "1"}, {"flushDiskType", "ASYNC_FLUSH"}});
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["listenPort"], "10911");
  EXPECT_EQ((*m)["brokerName"], "from-cli");
  EXPECT_EQ((*m)["namesrvAddr"], "cli:9876");
  EXPECT_EQ((*m)["flushDiskType"], "ASYNC_FLUSH");
  std::remove(path.c_str());
  auto missing = parse_command_line({"-c", "/nonexistent/broker.conf"});
  auto bad = effective_config(*missing, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("/nonexistent/broker.conf"), std::string::npos);
}

TEST(TypedAccess, ClearErrors) {
  properties_map m{{"port", "10911"}, {"bad", "10x"}, {"t", "TRUE"}, {"f", "yes"}};
  EXPECT_EQ(*get_int(m, "port", 0), 10911);
  EXPECT_EQ(*get_int(m, "missing", 7), 7);
  auto bad = get_int(m, "bad", 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "bad: '10x' is not an integer");
  EXPECT_TRUE(get_bool(m, "t", false));
  EXPECT_FALSE(get_bool(m, "f", true));  // Boolean.parseBoolean
  EXPECT_TRUE(get_bool(m, "missing", true));
  EXPECT_EQ(get_string(m, "missing", "d"), "d");
}

}  // namespace
}  // namespace mq
