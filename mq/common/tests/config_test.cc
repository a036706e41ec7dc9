#include "mq/common/config.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace mq {
namespace {

properties_map parse(std::string_view text) {
  auto r = parse_properties_text(text);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : properties_map{};
}

TEST(PropertiesText, SeparatorsAndWhitespace) {
  auto m = parse(
      "brokerClusterName = DefaultCluster\n"
      "brokerName:broker-a\n"
      "brokerId 0\n"
      "   namesrvAddr\t=\t127.0.0.1:9876\n"
      "listenPort=10911   \n"
      "eq==x\n"
      "colon:=y\n"
      "spaced  :  z\n"
      "alone\n"
      "empty=\n");
  EXPECT_EQ(m["brokerClusterName"], "DefaultCluster");
  EXPECT_EQ(m["brokerName"], "broker-a");
  EXPECT_EQ(m["brokerId"], "0");
  EXPECT_EQ(m["namesrvAddr"], "127.0.0.1:9876");
  EXPECT_EQ(m["listenPort"], "10911   ");  // Java keeps trailing whitespace
  EXPECT_EQ(m["eq"], "=x");                // only one separator is skipped
  EXPECT_EQ(m["colon"], "=y");
  EXPECT_EQ(m["spaced"], "z");
  EXPECT_EQ(m["alone"], "");
  EXPECT_EQ(m["empty"], "");
  EXPECT_EQ(m.size(), 10u);
}

TEST(PropertiesText, CommentsAndBlankLines) {
  auto m = parse(
      "# comment\n"
      "  ! also a comment\n"
      "\t\n"
      "a=1 # not a comment\n"
      "#b=2\n"
      "# a comment ending in a backslash does not continue \\\n"
      "c=3\n");
  EXPECT_EQ(m, (properties_map{{"a", "1 # not a comment"}, {"c", "3"}}));
}

TEST(PropertiesText, LineEndingsAndContinuation) {
  auto m = parse(
      "crlf=1\r\n"
      "cr=2\r"
      "deleteWhen=\\\n"
      "    04\n"
      "multi=a,\\\r\n"
      "      b,\\\n"
      "\tc\n"
      "even=x\\\\\n"
      "next=after-even\n"
      "last=no-newline\\");
  EXPECT_EQ(m["crlf"], "1");
  EXPECT_EQ(m["cr"], "2");
  EXPECT_EQ(m["deleteWhen"], "04");
  EXPECT_EQ(m["multi"], "a,b,c");
  EXPECT_EQ(m["even"], "x\\");  // two backslashes: an escaped backslash, no continuation
  EXPECT_EQ(m["next"], "after-even");
  EXPECT_EQ(m["last"], "no-newline");  // a final lone backslash is dropped
}

TEST(PropertiesText, Escapes) {
  auto m = parse(
      "path\\ with\\ spaces=c\\:\\\\store\n"
      "key\\=eq\\:colon=v\n"
      "tab=a\\tb\\nc\\rd\\fe\n"
      "other=\\q\\\"\n"
      "unicode=\\u8ba2\\u5355\n"
      "upper=\\u00E9\n"
      "pair=\\uD83D\\uDE00\n"
      "lone=\\uD83Dx\n");
  EXPECT_EQ(m["path with spaces"], "c:\\store");
  EXPECT_EQ(m["key=eq:colon"], "v");
  EXPECT_EQ(m["tab"], "a\tb\nc\rd\fe");
  EXPECT_EQ(m["other"], "q\"");
  EXPECT_EQ(m["unicode"], "\xE8\xAE\xA2\xE5\x8D\x95");  // 订单 as UTF-8
  EXPECT_EQ(m["upper"], "\xC3\xA9");
  EXPECT_EQ(m["pair"], "\xF0\x9F\x98\x80");  // one code point, U+1F600
  EXPECT_EQ(m["lone"], "?x");                // as Java's getBytes(UTF_8) writes a lone surrogate
}

TEST(PropertiesText, MalformedUnicodeEscapeIsAnError) {
  EXPECT_FALSE(parse_properties_text("bad=\\u12"));
  EXPECT_FALSE(parse_properties_text("bad=\\u12zz"));
  auto r = parse_properties_text("ok=1\nbad\\u00=2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_NE(r.error().message.find("bad\\u00=2"), std::string::npos);
}

TEST(PropertiesText, LaterKeysWinAndBytesPassThrough) {
  auto m = parse("k=1\nk=2\nname=\xE8\xAE\xA2\n");
  EXPECT_EQ(m["k"], "2");
  EXPECT_EQ(m["name"], "\xE8\xAE\xA2");
  EXPECT_TRUE(parse("").empty());
  EXPECT_TRUE(parse("\n\n# only comments\n").empty());
}

TEST(PropertiesFile, LoadAndMissingFile) {
  std::string path = ::testing::TempDir() + "/mq_common_config_test.conf";
  {
    std::ofstream f(path, std::ios::binary);
    f << "brokerName=broker-a\r\nlistenPort=10911\r\n";
  }
  auto m = load_properties_file(path);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((*m)["brokerName"], "broker-a");
  EXPECT_EQ((*m)["listenPort"], "10911");
  std::remove(path.c_str());
  auto missing = load_properties_file(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
}

TEST(CommandLine, OptionsAndOverrides) {
  auto cl = parse_command_line({"-n", "127.0.0.1:9876", "-c", "/x/broker.conf", "listenPort=10921",
                                "--brokerId=1", "-p", "-m", "k=a=b"});
  ASSERT_TRUE(cl) << cl.error().message;
  EXPECT_EQ(cl->namesrv_addr, "127.0.0.1:9876");
  EXPECT_EQ(cl->config_file, "/x/broker.conf");
  EXPECT_TRUE(cl->print_config);
  EXPECT_TRUE(cl->print_important_config);
  EXPECT_FALSE(cl->help);
  EXPECT_EQ(cl->overrides, (properties_map{{"listenPort", "10921"}, {"brokerId", "1"}, {"k", "a=b"}}));

  auto longs = parse_command_line({"--configFile", "a.conf", "--namesrvAddr=h:1", "--help", "empty="});
  ASSERT_TRUE(longs) << longs.error().message;
  EXPECT_EQ(longs->config_file, "a.conf");
  EXPECT_EQ(longs->namesrv_addr, "h:1");
  EXPECT_TRUE(longs->help);
  EXPECT_EQ(longs->overrides, (properties_map{{"empty", ""}}));

  const char* argv[] = {"mqbroker", "-h", "-c", "b.conf"};
  auto from_argv = parse_command_line(4, argv);
  ASSERT_TRUE(from_argv);
  EXPECT_TRUE(from_argv->help);
  EXPECT_EQ(from_argv->config_file, "b.conf");
  auto none = parse_command_line(1, argv);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->config_file);
}

TEST(CommandLine, ErrorsNameTheArgument) {
  auto unknown = parse_command_line({"-z"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, errc::invalid_argument);
  EXPECT_NE(unknown.error().message.find("'-z'"), std::string::npos);
  EXPECT_FALSE(parse_command_line({"--unknown"}));
  EXPECT_FALSE(parse_command_line({"-cfile"}));
  EXPECT_FALSE(parse_command_line({"positional"}));
  auto missing = parse_command_line({"-n", "x", "-c"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("-c"), std::string::npos);
  EXPECT_FALSE(parse_command_line({"=novalue"}));
  EXPECT_FALSE(parse_command_line({"--=x"}));
}

TEST(CommandLine, MergeAndEffectiveConfigPrecedence) {
  auto cl = parse_command_line({"-n", "cli:9876", "brokerName=from-cli"});
  ASSERT_TRUE(cl);
  auto merged =
      merge({{"brokerName", "from-file"}, {"namesrvAddr", "file:9876"}, {"listenPort", "10911"}}, *cl);
  EXPECT_EQ(merged, (properties_map{
                        {"brokerName", "from-cli"}, {"namesrvAddr", "cli:9876"}, {"listenPort", "10911"}}));

  std::string path = ::testing::TempDir() + "/mq_common_broker_test.conf";
  {
    std::ofstream f(path);
    f << "listenPort=10911\nbrokerName=from-file\nnamesrvAddr=file:9876\n";
  }
  auto full = parse_command_line({"-c", path, "-n", "cli:9876", "brokerName=from-cli"});
  ASSERT_TRUE(full);
  auto m = effective_config(*full, {{"listenPort", "1"}, {"flushDiskType", "ASYNC_FLUSH"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((*m)["listenPort"], "10911");      // file over defaults
  EXPECT_EQ((*m)["brokerName"], "from-cli");   // key=value over the file
  EXPECT_EQ((*m)["namesrvAddr"], "cli:9876");  // -n over the file
  EXPECT_EQ((*m)["flushDiskType"], "ASYNC_FLUSH");
  std::remove(path.c_str());
  auto bad = effective_config(*parse_command_line({"-c", "/nonexistent/broker.conf"}), {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("/nonexistent/broker.conf"), std::string::npos);
}

TEST(TypedAccess, IntegersAsJavaParsesThem) {
  properties_map m{{"port", "10911"},
                   {"spaced", " 42\t"},
                   {"plus", "+7"},
                   {"neg", "-3"},
                   {"bad", "10x"},
                   {"empty", ""},
                   {"big", "2147483648"},
                   {"max", "2147483647"},
                   {"double", "+-1"},
                   {"long", "9223372036854775807"},
                   {"longer", "9223372036854775808"}};
  EXPECT_EQ(*get_int(m, "port", 0), 10911);
  EXPECT_EQ(*get_int(m, "missing", 7), 7);
  EXPECT_EQ(*get_int(m, "spaced", 0), 42);
  EXPECT_EQ(*get_int(m, "plus", 0), 7);
  EXPECT_EQ(*get_int(m, "neg", 0), -3);
  EXPECT_EQ(*get_int(m, "max", 0), 2147483647);
  auto bad = get_int(m, "bad", 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
  EXPECT_EQ(bad.error().message, "bad: '10x' is not an integer");
  EXPECT_FALSE(get_int(m, "empty", 0));
  EXPECT_FALSE(get_int(m, "double", 0));
  auto big = get_int(m, "big", 0);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, "big: '2147483648' is out of range for an integer");
  EXPECT_EQ(*get_int64(m, "big", 0), 2147483648LL);
  EXPECT_EQ(*get_int64(m, "long", 0), 9223372036854775807LL);
  EXPECT_FALSE(get_int64(m, "longer", 0));
  EXPECT_EQ(*get_int64(m, "missing", -1), -1);
}

TEST(TypedAccess, BooleanParseBooleanAndTrimmedStrings) {
  properties_map m{{"t", "TRUE"}, {"t2", "true "}, {"f", "yes"}, {"one", "1"}, {"s", "  broker-a \t"}};
  EXPECT_TRUE(get_bool(m, "t", false));
  EXPECT_TRUE(get_bool(m, "t2", false));
  EXPECT_FALSE(get_bool(m, "f", true));  // Boolean.parseBoolean: anything but "true" is false
  EXPECT_FALSE(get_bool(m, "one", true));
  EXPECT_TRUE(get_bool(m, "missing", true));
  EXPECT_EQ(get_string(m, "s", ""), "broker-a");
  EXPECT_EQ(get_string(m, "missing", "d"), "d");
}

}  // namespace
}  // namespace mq
