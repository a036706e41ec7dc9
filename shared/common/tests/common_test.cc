// Unit tests of shop::common: money, ids, ShopCode, fault plans, config.
#include "shop/common/money.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "shop/common/fault_plan.h"
#include "shop/common/ids.h"
#include "shop/common/service_config.h"
#include "shop/common/shop_code.h"

namespace shop {
namespace {

TEST(Money, ParsesAndFormatsExactly) {
  EXPECT_EQ(money::parse("12")->cents(), 1200);
  EXPECT_EQ(money::parse("12.3")->cents(), 1230);
  EXPECT_EQ(money::parse("12.30")->cents(), 1230);
  EXPECT_EQ(money::parse("0.01")->cents(), 1);
  EXPECT_EQ(money::parse("-0.5")->cents(), -50);
  EXPECT_EQ(money::parse("99999999.99")->cents(), 9999999999);
  EXPECT_EQ(money::parse("007.10")->str(), "7.10");
  EXPECT_EQ(money::from_cents(5).str(), "0.05");
  EXPECT_EQ(money::from_cents(-105).str(), "-1.05");
  EXPECT_EQ(money::zero().str(), "0.00");
  for (const char* bad : {"", " 1", "1 ", "+1", "1e2", "1.", ".5", "-", "1.234", "1,00", "abc", "NaN", "inf",
                          "0x10", "1.2.3", "--1", "10000000000001", "99999999999999999999"})
    EXPECT_FALSE(money::parse(bad)) << bad;
}

TEST(Money, JsonNumbersAndStrings) {
  using nlohmann::json;
  EXPECT_EQ(money::from_json(json("89.00"))->cents(), 8900);
  EXPECT_EQ(money::from_json(json(89))->cents(), 8900);
  EXPECT_EQ(money::from_json(json::parse("89.5"))->cents(), 8950);
  EXPECT_EQ(money::from_json(json::parse("0.1"))->cents(), 10);
  EXPECT_FALSE(money::from_json(json::parse("0.30000000000000004")));
  EXPECT_EQ(money::from_json(json::parse("1e2"))->cents(), 10000);  // exactly 100
  EXPECT_FALSE(money::from_json(json::parse("1e-3")));
  EXPECT_FALSE(money::from_json(json::parse("1.005")));
  EXPECT_FALSE(money::from_json(json::parse("true")));
  EXPECT_FALSE(money::from_json(json::parse("null")));
  EXPECT_FALSE(money::from_json(json::parse("[1]")));
  EXPECT_FALSE(money::from_json(json::parse("18446744073709551615")));
}

TEST(Money, CheckedArithmetic) {
  auto a = *money::parse("89.00"), b = *money::parse("10.50");
  EXPECT_EQ(a.add(b)->str(), "99.50");
  EXPECT_EQ(b.sub(a)->str(), "-78.50");
  EXPECT_EQ(a.mul(3)->str(), "267.00");
  auto big = money::from_cents(money::max_units * 100);
  EXPECT_FALSE(big.add(money::from_cents(1)));
  EXPECT_FALSE(big.mul(2));
  EXPECT_FALSE(money::from_cents(INT64_MAX / 2).mul(4));
  EXPECT_TRUE(a < b.mul(10).value());
  EXPECT_EQ(a.whole_units(), 89);
}

TEST(Ids, UniqueAndIncreasingAcrossThreads) {
  auto w = id_worker::make(7);
  ASSERT_TRUE(w);
  std::mutex mu;
  std::set<int64_t> all;
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&] {
      std::vector<int64_t> mine;
      int64_t last = 0;
      for (int i = 0; i < 20000; ++i) {
        auto id = (*w)->next();
        ASSERT_TRUE(id);
        ASSERT_GT(*id, last);  // increasing as seen by each thread
        last = *id;
        mine.push_back(*id);
      }
      std::lock_guard lk(mu);
      all.insert(mine.begin(), mine.end());
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(all.size(), 160000u);
  EXPECT_EQ(id_worker::worker_of(*all.begin()), 7);
  EXPECT_GT(*all.begin(), 0);
  EXPECT_FALSE(id_worker::make(1024));
  EXPECT_FALSE(id_worker::make(-1));
}

TEST(Ids, ClockStepBackWaitsOrFailsNeverDuplicates) {
  std::atomic<int64_t> now{1700000000000};
  auto w = id_worker::make(1, std::chrono::milliseconds(5), [&] { return now.load(); });
  ASSERT_TRUE(w);
  auto a = (*w)->next();
  now -= 3;  // small step back: waits until the clock passes the last id's ms
  std::thread mover([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    now += 4;
  });
  auto b = (*w)->next();
  mover.join();
  ASSERT_TRUE(a && b);
  EXPECT_GT(*b, *a);
  now -= 1000;  // large step back: refused
  auto c = (*w)->next();
  EXPECT_FALSE(c);
  EXPECT_EQ(c.error().code, mq::errc::unsupported);
  now += 2000;
  auto d = (*w)->next();
  ASSERT_TRUE(d);
  EXPECT_GT(*d, *b);
  // 4096 ids in one frozen ms: the next one waits for the clock.
  std::atomic<int64_t> frozen{1800000000000};
  auto f = id_worker::make(2, std::chrono::milliseconds(5), [&] { return frozen.load(); });
  std::set<int64_t> seen;
  for (int i = 0; i < 4096; ++i) seen.insert(*(*f)->next());
  std::thread tick([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    frozen += 1;
  });
  seen.insert(*(*f)->next());
  tick.join();
  EXPECT_EQ(seen.size(), 4097u);
}

TEST(Ids, FromJsonAndText) {
  using nlohmann::json;
  EXPECT_EQ(*id_from_json(json("123456789012345678"), "orderId"), 123456789012345678);
  EXPECT_EQ(*id_from_json(json(42), "goodsId"), 42);
  for (auto bad : {json("0"), json("-1"), json(-5), json(0), json("12a"), json(""), json(1.5), json(nullptr),
                   json("99999999999999999999"), json::parse("18446744073709551615")})
    EXPECT_FALSE(id_from_json(bad, "x")) << bad.dump();
  auto e = id_from_json(json("x"), "goodsId");
  EXPECT_NE(e.error().message.find("goodsId"), std::string::npos);
  EXPECT_EQ(*id_from_text("2001", "id"), 2001);
  EXPECT_FALSE(id_from_text("20 01", "id"));
}

TEST(ShopCode, TableIsConsistent) {
  std::set<int32_t> numbers;
  std::set<std::string_view> names;
  for (auto& c : all_shop_codes()) {
    EXPECT_TRUE(numbers.insert(c.number).second) << c.name;
    EXPECT_TRUE(names.insert(c.name).second);
    EXPECT_FALSE(c.message.empty());
    EXPECT_TRUE(c.http_status == 200 || (c.http_status >= 400 && c.http_status < 600)) << c.name;
    EXPECT_EQ(info(c.code).number, c.number);
  }
  EXPECT_EQ(info(shop_code::SHOP_GOODS_NUM_NOT_ENOUGH).http_status, 409);
  auto j = nlohmann::json::parse(result_json(shop_code::SHOP_SUCCESS, {{"orderId", "1"}}));
  EXPECT_EQ(j["success"], true);
  EXPECT_EQ(j["code"], 0);
  EXPECT_EQ(j["data"]["orderId"], "1");
  auto f = nlohmann::json::parse(result_json(shop_code::SHOP_GOODS_NO_EXIST));
  EXPECT_EQ(f["success"], false);
  EXPECT_EQ(f["code"], 2001);
  EXPECT_TRUE(f["data"].is_null());
}

TEST(FaultPlan, GrammarAndHits) {
  auto p = fault_plan::parse("after_reduce_goods=fail;before_confirm=exit@2;slow=delay:5;;");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->check("after_reduce_goods"), fault_action::fail);
  EXPECT_EQ(p->check("after_reduce_goods"), fault_action::fail);
  EXPECT_EQ(p->check("before_confirm"), fault_action::none);
  EXPECT_EQ(p->check("before_confirm"), fault_action::exit);
  EXPECT_EQ(p->check("before_confirm"), fault_action::none);
  EXPECT_EQ(p->check("unknown"), fault_action::none);
  EXPECT_FALSE(p->hit("slow"));  // sleeps 5 ms
  EXPECT_TRUE(p->hit("after_reduce_goods"));
  for (const char* bad : {"x", "=fail", "a=boom", "A=fail", "a=fail@0", "a=fail@x", "a=delay:", "a=delay:9999999",
                          "a=fail;a=exit"}) {
    auto r = fault_plan::parse(bad);
    EXPECT_FALSE(r) << bad;
  }
  ::unsetenv("SHOP_FAULTS_TEST");
  auto none = fault_plan::from_env("SHOP_FAULTS_TEST");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  ::setenv("SHOP_FAULTS_TEST", "a=fail", 1);
  EXPECT_FALSE(fault_plan::from_env("SHOP_FAULTS_TEST")->empty());
  ::setenv("SHOP_FAULTS_TEST", "a=nope", 1);
  EXPECT_FALSE(fault_plan::from_env("SHOP_FAULTS_TEST"));
  ::unsetenv("SHOP_FAULTS_TEST");
}

TEST(ServiceConfig, FileEnvironmentAndMasking) {
  char tmpl[] = "/tmp/shop_conf_XXXXXX";
  int fd = ::mkstemp(tmpl);
  ::close(fd);
  std::ofstream(tmpl) << "# comment\nhttp.port=8081\ndb.url=postgresql://shop_goods:s3cret@127.0.0.1:5432/shop\n"
                         "mq.order.topic=orderTopic\napi.token=abc\nbad.int=12x\n";
  auto c = service_config::load(tmpl);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c->get_int("http.port", 1), 8081);
  EXPECT_EQ(c->get("mq.order.topic", ""), "orderTopic");
  ::setenv("SHOP_MQ_ORDER_TOPIC", "otherTopic", 1);
  EXPECT_EQ(c->get("mq.order.topic", ""), "otherTopic");
  ::unsetenv("SHOP_MQ_ORDER_TOPIC");
  EXPECT_EQ(c->get("missing.key", "dflt"), "dflt");
  auto bad = c->get_int("bad.int", 1);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.int"), std::string::npos);
  EXPECT_FALSE(c->get_int("http.port", 1, 1, 1024));
  auto dump = c->dump_masked();
  EXPECT_EQ(dump.find("s3cret"), std::string::npos) << dump;
  EXPECT_NE(dump.find("postgresql://shop_goods:****@127.0.0.1:5432/shop"), std::string::npos) << dump;
  EXPECT_NE(dump.find("api.token=****"), std::string::npos);
  EXPECT_NE(dump.find("missing.key=dflt"), std::string::npos);
  EXPECT_EQ(service_config::env_name("mq.order-topic"), "SHOP_MQ_ORDER_TOPIC");
  EXPECT_FALSE(service_config::load("/no/such/file"));
  std::remove(tmpl);
}

}  // namespace
}  // namespace shop
