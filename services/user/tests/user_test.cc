// The user service over HTTP against a private PostgreSQL.
#include "user.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "service_env.h"
#include "shop/mq/idempotent_consumer.h"

namespace shop::user {
namespace {

struct user_env : app::test::service_env {
  user_env()
      : service_env("shop_user", "users", [](db::pool& db, http::router& r) {
          auto svc = std::make_shared<user_service>(db);
          svc->register_routes(r);
          return svc;
        }) {}
};

std::string money_body(int64_t user, int64_t order, const std::string& amount, int type) {
  return R"({"userId":")" + std::to_string(user) + R"(","orderId":")" + std::to_string(order) + R"(","useMoney":")" +
         amount + R"(","moneyLogType":)" + std::to_string(type) + "}";
}

TEST(User, GetNeverShowsThePassword) {
  user_env e;
  e.sql("INSERT INTO trade_user (user_id, user_name, user_password, user_money) VALUES (11, 'ann', 'sha256$x$y', 12.50)");
  auto [s, j] = e.get("/user/11");
  ASSERT_EQ(s, 200);
  EXPECT_EQ(j["data"]["userMoney"], "12.50");
  EXPECT_EQ(j["data"]["userId"], "11");
  EXPECT_FALSE(j["data"].contains("userPassword"));
  EXPECT_EQ(j.dump().find("sha256"), std::string::npos);
  EXPECT_EQ(e.get("/user/12345").first, 404);
}

TEST(User, PayOncePerOrderRefundOnceAfterPay) {
  user_env e;
  e.sql("INSERT INTO trade_user (user_id, user_name, user_password, user_money) VALUES (21, 'bo', 'h', 100.00)");
  auto [s1, j1] = e.post("/user/money", money_body(21, 501, "30.25", 1));
  ASSERT_EQ(s1, 200) << j1.dump();
  EXPECT_EQ(j1["data"]["userMoney"], "69.75");
  EXPECT_EQ(e.post("/user/money", money_body(21, 501, "30.25", 1)).second["data"]["repeated"], true);
  EXPECT_EQ(e.post("/user/money", money_body(21, 501, "31.00", 1)).second["code"], 3008);
  EXPECT_EQ(e.text("SELECT user_money::text FROM trade_user WHERE user_id = 21"), "69.75");
  // Not enough balance; refund without pay.
  EXPECT_EQ(e.post("/user/money", money_body(21, 502, "70.00", 1)).second["code"], 3003);
  EXPECT_EQ(e.post("/user/money", money_body(21, 503, "1.00", 2)).second["code"], 3006);
  // Refund once.
  auto [s2, j2] = e.post("/user/money", money_body(21, 501, "30.25", 2));
  ASSERT_EQ(s2, 200) << j2.dump();
  EXPECT_EQ(j2["data"]["userMoney"], "100.00");
  EXPECT_EQ(e.post("/user/money", money_body(21, 501, "30.25", 2)).second["data"]["repeated"], true);
  EXPECT_EQ(e.text("SELECT user_money::text FROM trade_user WHERE user_id = 21"), "100.00");
  // A refunded order cannot pay again.
  EXPECT_EQ(e.post("/user/money", money_body(21, 501, "30.25", 1)).second["code"], 3007);
}

TEST(User, ConcurrentPaysNeverOverdraw) {
  user_env e;
  e.sql("INSERT INTO trade_user (user_id, user_name, user_password, user_money) VALUES (31, 'cy', 'h', 10.00)");
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 20; ++i)
    ts.emplace_back([&, i] {
      http::client c;
      auto r = c.post_json(e.base(), "/user/money", money_body(31, 600 + i, "1.00", 1));
      if (r && r->status == 200) ok++;
      if (r && r->status == 409) refused++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(refused.load(), 10);
  EXPECT_EQ(e.text("SELECT user_money::text FROM trade_user WHERE user_id = 31"), "0.00");
}

TEST(User, CancelRefundsOnceTombstonesAndScoreIsAddedOnce) {
  user_env e;
  e.sql("INSERT INTO trade_user (user_id, user_name, user_password, user_money) VALUES (41, 'di', 'h', 50.00)");
  ASSERT_EQ(e.post("/user/money", money_body(41, 701, "20.00", 1)).first, 200);
  messaging::idempotent_handler h(e.db(), "user_order_cancel_group", [](pqxx::work& tx, const mq::message_ext& m) {
    auto j = nlohmann::json::parse(m.body);
    return user_service::refund_for_cancel(tx, std::stoll(j["userId"].get<std::string>()),
                                           std::stoll(j["orderId"].get<std::string>()));
  });
  mq::message_ext m;
  m.set_tags("order_cancel");
  m.set_keys({"701"});
  m.body = R"({"orderId":"701","userId":"41"})";
  EXPECT_EQ(h.handle(m), messaging::outcome::applied);
  EXPECT_EQ(h.handle(m), messaging::outcome::duplicate);
  EXPECT_TRUE(e.db().transact([](pqxx::work& tx) { return user_service::refund_for_cancel(tx, 41, 701); }).ok());
  EXPECT_EQ(e.text("SELECT user_money::text FROM trade_user WHERE user_id = 41"), "50.00");
  // Cancel before pay: tombstone, the late pay is refused.
  ASSERT_TRUE(e.db().transact([](pqxx::work& tx) { return user_service::refund_for_cancel(tx, 41, 702); }).ok());
  EXPECT_EQ(e.post("/user/money", money_body(41, 702, "5.00", 1)).second["code"], 3007);
  EXPECT_EQ(e.text("SELECT user_money::text FROM trade_user WHERE user_id = 41"), "50.00");
  // Score: 1 point per whole unit, once per order.
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(e.db().transact([](pqxx::work& tx) { return user_service::add_score(tx, 41, 703, *money::parse("158.99")); }).ok());
  EXPECT_EQ(e.scalar("SELECT user_score FROM trade_user WHERE user_id = 41"), 158);
}

TEST(User, BadInputIs4xxAndChangesNothing) {
  user_env e;
  e.sql("INSERT INTO trade_user (user_id, user_name, user_password, user_money) VALUES (51, 'ed', 'h', 5.00)");
  for (const char* body : {"nope", R"({"userId":51,"orderId":1,"useMoney":"1.001","moneyLogType":1})",
                           R"({"userId":51,"orderId":1,"useMoney":"0","moneyLogType":1})",
                           R"({"userId":51,"orderId":1,"useMoney":"1.00","moneyLogType":3})",
                           R"({"userId":51,"orderId":1,"useMoney":1e400,"moneyLogType":1})",
                           R"({"userId":51,"orderId":1,"useMoney":"99999999999.00","moneyLogType":1})",
                           R"({"userId":51,"orderId":1,"moneyLogType":1})",
                           R"({"userId":"51","orderId":"1","useMoney":[1],"moneyLogType":1})"}) {
    auto [s, j] = e.post("/user/money", body);
    EXPECT_EQ(s, 400) << body << " " << j.dump();
  }
  auto [s, j] = e.post("/user/money", R"({"userId":51,"orderId":1,"useMoney":"-1.00","moneyLogType":1})");
  EXPECT_EQ(s, 400);
  EXPECT_EQ(j["code"], 3002);
  EXPECT_EQ(e.post("/user/money", money_body(777777, 1, "1.00", 1)).first, 404);
  EXPECT_EQ(e.text("SELECT user_money::text FROM trade_user WHERE user_id = 51"), "5.00");
  EXPECT_EQ(e.scalar("SELECT count(*) FROM trade_user_money_log WHERE user_id = 51"), 0);
}

}  // namespace
}  // namespace shop::user
