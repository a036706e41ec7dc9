// The coupon service over HTTP against a private PostgreSQL.
#include "coupon.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "service_env.h"
#include "shop/mq/idempotent_consumer.h"

namespace shop::coupon {
namespace {

struct coupon_env : app::test::service_env {
  coupon_env()
      : service_env("shop_coupon", "coupon", [](db::pool& db, http::router& r) {
          auto svc = std::make_shared<coupon_service>(db);
          svc->register_routes(r);
          return svc;
        }) {}
};

std::string use_body(int64_t coupon, int64_t order, int64_t user) {
  return R"({"couponId":")" + std::to_string(coupon) + R"(","orderId":")" + std::to_string(order) +
         R"(","userId":")" + std::to_string(user) + R"("})";
}

TEST(Coupon, UseOnceByItsOwnerAndRepeatsAreIdempotent) {
  coupon_env e;
  e.sql("INSERT INTO trade_coupon (coupon_id, coupon_price, user_id) VALUES (5001, 10.00, 1001)");
  auto [s1, j1] = e.post("/coupon/use", use_body(5001, 600, 1001));
  ASSERT_EQ(s1, 200) << j1.dump();
  EXPECT_EQ(j1["data"]["couponPrice"], "10.00");
  EXPECT_EQ(j1["data"]["repeated"], false);
  auto [s2, j2] = e.post("/coupon/use", use_body(5001, 600, 1001));
  EXPECT_EQ(s2, 200);
  EXPECT_EQ(j2["data"]["repeated"], true);
  auto [s3, j3] = e.post("/coupon/use", use_body(5001, 601, 1001));
  EXPECT_EQ(s3, 409);
  EXPECT_EQ(j3["code"], 4002);
  auto [s4, j4] = e.post("/coupon/use", use_body(5001, 600, 1002));
  EXPECT_EQ(s4, 409);
  EXPECT_EQ(j4["code"], 4005);
  auto [s5, j5] = e.post("/coupon/use", use_body(5999, 600, 1001));
  EXPECT_EQ(s5, 404);
  EXPECT_EQ(j5["code"], 4001);
  auto [gs, gj] = e.get("/coupon/5001");
  EXPECT_EQ(gs, 200);
  EXPECT_EQ(gj["data"]["isUsed"], 1);
  EXPECT_EQ(gj["data"]["orderId"], "600");
}

TEST(Coupon, ConcurrentUsesByManyOrdersHaveOneWinner) {
  coupon_env e;
  e.sql("INSERT INTO trade_coupon (coupon_id, coupon_price, user_id) VALUES (5002, 5.00, 1001)");
  std::atomic<int> ok{0}, used{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 16; ++i)
    ts.emplace_back([&, i] {
      http::client c;
      auto r = c.post_json(e.base(), "/coupon/use", use_body(5002, 700 + i, 1001));
      if (r && r->status == 200) ok++;
      if (r && r->status == 409) used++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(used.load(), 15);
}

TEST(Coupon, CancelReleasesOnceAndATombstoneRefusesLateUse) {
  coupon_env e;
  e.sql("INSERT INTO trade_coupon (coupon_id, coupon_price, user_id) VALUES (5003, 5.00, 1001)");
  ASSERT_EQ(e.post("/coupon/use", use_body(5003, 800, 1001)).first, 200);
  messaging::idempotent_handler h(e.db(), "coupon_order_cancel_group", [](pqxx::work& tx, const mq::message_ext& m) {
    return coupon_service::release(tx, *cancel_order_id(m));
  });
  mq::message_ext m;
  m.set_tags("order_cancel");
  m.set_keys({"800"});
  m.body = R"({"orderId":"800","couponId":"5003"})";
  EXPECT_EQ(h.handle(m), messaging::outcome::applied);
  EXPECT_EQ(h.handle(m), messaging::outcome::duplicate);
  EXPECT_EQ(e.scalar("SELECT is_used FROM trade_coupon WHERE coupon_id = 5003"), 0);
  // The cancelled order cannot use it again; another order can.
  EXPECT_EQ(e.post("/coupon/use", use_body(5003, 800, 1001)).second["code"], 4006);
  EXPECT_EQ(e.post("/coupon/use", use_body(5003, 801, 1001)).first, 200);
  // A cancel before the use: tombstone, the late use is refused, the coupon stays free.
  e.sql("INSERT INTO trade_coupon (coupon_id, coupon_price, user_id) VALUES (5004, 5.00, 1001)");
  ASSERT_TRUE(e.db().transact([](pqxx::work& tx) { return coupon_service::release(tx, 900); }).ok());
  auto [s, j] = e.post("/coupon/use", use_body(5004, 900, 1001));
  EXPECT_EQ(s, 409);
  EXPECT_EQ(j["code"], 4006);
  EXPECT_EQ(e.scalar("SELECT is_used FROM trade_coupon WHERE coupon_id = 5004"), 0);
}

TEST(Coupon, BadInputIs400AndChangesNothing) {
  coupon_env e;
  e.sql("INSERT INTO trade_coupon (coupon_id, coupon_price, user_id) VALUES (5005, 5.00, 1001)");
  for (const char* body : {"", "{", "[1]", R"({"couponId":5005,"orderId":1})",
                           R"({"couponId":"5005x","orderId":1,"userId":1001})",
                           R"({"couponId":5005,"orderId":0,"userId":1001})",
                           R"({"couponId":5005,"orderId":{},"userId":1001})"}) {
    auto [s, j] = e.post("/coupon/use", body);
    EXPECT_EQ(s, 400) << body;
    EXPECT_EQ(j["code"], 1001) << body;
  }
  EXPECT_EQ(e.scalar("SELECT is_used FROM trade_coupon WHERE coupon_id = 5005"), 0);
  EXPECT_EQ(e.get("/coupon/-1").first, 400);
  EXPECT_EQ(e.get("/coupon/424242").first, 404);
}

}  // namespace
}  // namespace shop::coupon
