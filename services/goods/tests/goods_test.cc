// The goods service over HTTP against a private PostgreSQL set up as the
// deploy script does (roles, schemas, migrations as the service's role).
#include "goods.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pg_fixture.h"
#include "service_env.h"
#include "shop/mq/idempotent_consumer.h"

namespace shop::goods {
namespace {

using db::test::pg_server;
using nlohmann::json;

// The goods service on a real server, its pool migrated as the service does.
struct goods_env : app::test::service_env {
  goods_env()
      : service_env("shop_goods", "goods", [](db::pool& db, http::router& r) {
          auto svc = std::make_shared<goods_service>(db);
          svc->register_routes(r);
          return svc;
        }) {}
};

TEST(Goods, ConcurrentReducesOnTheLastUnitsNeverOversell) {
  goods_env e;
  e.sql("INSERT INTO trade_goods VALUES (9001, 'last ten', 10, 5.00, '', now())");
  std::atomic<int> ok{0}, not_enough{0}, other{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 10; ++t) {
    ts.emplace_back([&, t] {
      http::client c;
      for (int k = 0; k < 10; ++k) {
        int order = 100000 + t * 10 + k;
        auto r = c.post_json(e.base(), "/goods/reduce",
                             R"({"goodsId":"9001","orderId":")" + std::to_string(order) + R"(","goodsNumber":1})");
        if (!r) {
          other++;
          continue;
        }
        auto j = json::parse(r->body, nullptr, false);
        if (r->status == 200 && j["success"] == true) ok++;
        else if (r->status == 409 && j["code"] == 2003) not_enough++;
        else other++;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(not_enough.load(), 90);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(e.scalar("SELECT goods_number FROM trade_goods WHERE goods_id = 9001"), 0);
  EXPECT_EQ(e.scalar("SELECT count(*) FROM trade_goods_number_log WHERE goods_id = 9001"), 10);
}

TEST(Goods, RepeatsAreIdempotentAndCancelsComeOnce) {
  goods_env e;
  e.sql("INSERT INTO trade_goods VALUES (9002, 'book', 50, 89.00, 'a book', now())");
  auto [s1, j1] = e.post("/goods/reduce", R"({"goodsId":9002,"orderId":"7001","goodsNumber":3})");
  ASSERT_EQ(s1, 200) << j1.dump();
  EXPECT_EQ(j1["data"]["remaining"], 47);
  auto [s2, j2] = e.post("/goods/reduce", R"({"goodsId":9002,"orderId":"7001","goodsNumber":3})");
  EXPECT_EQ(s2, 200);
  EXPECT_EQ(j2["data"]["repeated"], true);
  auto [s3, j3] = e.post("/goods/reduce", R"({"goodsId":9002,"orderId":"7001","goodsNumber":4})");
  EXPECT_EQ(s3, 409);
  EXPECT_EQ(j3["code"], 2004);
  EXPECT_EQ(e.scalar("SELECT goods_number FROM trade_goods WHERE goods_id = 9002"), 47);

  // The cancel compensation restores exactly once (the log key), through the
  // idempotent consumer or not.
  messaging::idempotent_handler h(e.db(), "goods_order_cancel_group", [](pqxx::work& tx, const mq::message_ext& m) {
    auto ids = parse_cancel(m);
    return goods_service::restore(tx, ids->second, ids->first);
  });
  mq::message_ext m;
  m.topic = "orderTopic";
  m.set_tags("order_cancel");
  m.set_keys({"7001"});
  m.body = R"({"orderId":"7001","userId":"1","goodsId":"9002","goodsNumber":3})";
  EXPECT_EQ(h.handle(m), messaging::outcome::applied);
  EXPECT_EQ(h.handle(m), messaging::outcome::duplicate);
  EXPECT_TRUE(e.db().transact([](pqxx::work& tx) { return goods_service::restore(tx, 9002, 7001); }).ok());
  EXPECT_EQ(e.scalar("SELECT goods_number FROM trade_goods WHERE goods_id = 9002"), 50);
  // After the cancel, the order cannot reduce again.
  auto [s4, j4] = e.post("/goods/reduce", R"({"goodsId":9002,"orderId":"7001","goodsNumber":3})");
  EXPECT_EQ(s4, 409);
  EXPECT_EQ(j4["code"], 2005);
}

TEST(Goods, ACancelBeforeTheReduceLeavesATombstone) {
  goods_env e;
  e.sql("INSERT INTO trade_goods VALUES (9003, 'pen', 5, 2.00, '', now())");
  ASSERT_TRUE(e.db().transact([](pqxx::work& tx) { return goods_service::restore(tx, 9003, 8001); }).ok());
  auto [s, j] = e.post("/goods/reduce", R"({"goodsId":9003,"orderId":8001,"goodsNumber":1})");
  EXPECT_EQ(s, 409);
  EXPECT_EQ(j["code"], 2005);
  EXPECT_EQ(e.scalar("SELECT goods_number FROM trade_goods WHERE goods_id = 9003"), 5);
}

TEST(Goods, BadInputIs4xxAndChangesNothing) {
  goods_env e;
  e.sql("INSERT INTO trade_goods VALUES (9004, 'cup', 5, 2.00, '', now())");
  for (const char* body : {"not json", "[]", "{}", R"({"goodsId":"x","orderId":1,"goodsNumber":1})",
                           R"({"goodsId":9004,"orderId":1,"goodsNumber":0})",
                           R"({"goodsId":9004,"orderId":1,"goodsNumber":-1})",
                           R"({"goodsId":9004,"orderId":1,"goodsNumber":1.5})",
                           R"({"goodsId":9004,"orderId":1,"goodsNumber":99999999999})",
                           R"({"goodsId":9004,"orderId":-4,"goodsNumber":1})",
                           R"({"goodsId":9004,"goodsNumber":1})", R"({"goodsId":true,"orderId":1,"goodsNumber":1})"}) {
    auto [s, j] = e.post("/goods/reduce", body);
    EXPECT_EQ(s, 400) << body;
    EXPECT_EQ(j["code"], 1001) << body;
  }
  auto [s, j] = e.post("/goods/reduce", R"({"goodsId":1234567,"orderId":1,"goodsNumber":1})");
  EXPECT_EQ(s, 404);
  EXPECT_EQ(j["code"], 2001);
  EXPECT_EQ(e.scalar("SELECT goods_number FROM trade_goods WHERE goods_id = 9004"), 5);
  EXPECT_EQ(e.scalar("SELECT count(*) FROM trade_goods_number_log WHERE goods_id = 9004"), 0);
  auto g = e.client().get(e.base(), "/goods/9004");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, 200);
  auto gj = json::parse(g->body);
  EXPECT_EQ(gj["data"]["goodsPrice"], "2.00");
  EXPECT_EQ(gj["data"]["goodsId"], "9004");
  EXPECT_EQ(e.client().get(e.base(), "/goods/abc")->status, 400);
  EXPECT_EQ(e.client().get(e.base(), "/goods/777777")->status, 404);
}

TEST(Goods, TheGoodsRoleCannotReadOtherSchemas) {
  auto& pg = pg_server::instance();
  pg.bootstrap_shop();
  db::pool p({.url = pg.shop_url("shop_goods"), .schema = "goods", .size = 1});
  for (const char* q : {"SELECT count(*) FROM users.trade_user", "SELECT count(*) FROM pay.trade_pay",
                        "CREATE TABLE users.evil (a int)"}) {
    auto st = p.transact([&](pqxx::work& tx) -> mq::status {
      tx.exec(q);
      return mq::status::success();
    });
    EXPECT_FALSE(st.ok()) << q;
    EXPECT_EQ(db::pool::sqlstate(st), "42501") << st.message;  // insufficient_privilege
  }
}

}  // namespace
}  // namespace shop::goods
