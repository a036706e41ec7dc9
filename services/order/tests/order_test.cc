// The order service against a private PostgreSQL, with the real goods,
// coupon and user services (their libraries on loopback servers) and no
// broker: what confirm writes (rows, outbox), its compensation, the
// consumers' handlers and the ship/finish state machine.
#include "order.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coupon.h"
#include "goods.h"
#include "pg_fixture.h"
#include "service_env.h"
#include "shop/mq/idempotent_consumer.h"
#include "user.h"

namespace shop::order {
namespace {

using nlohmann::json;

template <class S>
std::function<std::shared_ptr<void>(db::pool&, http::router&)> make() {
  return [](db::pool& db, http::router& r) {
    auto s = std::make_shared<S>(db);
    s->register_routes(r);
    return s;
  };
}

// goods, coupon and user on loopback, and the order service whose fault plan
// each test chooses.
struct shop_env {
  app::test::service_env goods{"shop_goods", "goods", make<goods::goods_service>()};
  app::test::service_env coupon{"shop_coupon", "coupon", make<coupon::coupon_service>()};
  app::test::service_env user{"shop_user", "users", make<user::user_service>()};
  fault_plan faults;
  std::unique_ptr<id_worker> ids = std::move(*id_worker::make(7));
  order_service* svc = nullptr;
  int kicks = 0;
  std::unique_ptr<app::test::service_env> order;

  explicit shop_env(const std::string& plan = "") {
    faults = *fault_plan::parse(plan);
    order = std::make_unique<app::test::service_env>("shop_order", "orders", [this](db::pool& db, http::router& r) {
      order_config cfg;
      cfg.goods_url = goods.base();
      cfg.coupon_url = coupon.base();
      cfg.user_url = user.base();
      cfg.check_delay_level = 5;
      auto s = std::make_shared<order_service>(db, *ids, faults, cfg, [this] { kicks++; });
      s->register_routes(r);
      svc = s.get();
      return s;
    });
    order->sql("DELETE FROM mq_producer_temp");
  }
  static int64_t next_id() {
    static int64_t n = 50'000'000 + ::getpid() % 1000 * 10000;
    return ++n;
  }
  // A user with `money`, goods at `price` × `stock`, a coupon of `coupon` for the user.
  struct data {
    int64_t user, goods, coupon;
  };
  data seed(const std::string& money, const std::string& price, int stock, const std::string& coupon_price) {
    data d{next_id(), next_id(), next_id()};
    user.sql("INSERT INTO trade_user (user_id, user_name, user_password, user_money) VALUES (" + std::to_string(d.user) +
             ", 'u', 'x', " + money + ")");
    goods.sql("INSERT INTO trade_goods (goods_id, goods_name, goods_number, goods_price) VALUES (" + std::to_string(d.goods) +
              ", 'g', " + std::to_string(stock) + ", " + price + ")");
    coupon.sql("INSERT INTO trade_coupon (coupon_id, coupon_price, user_id) VALUES (" + std::to_string(d.coupon) + ", " +
               coupon_price + ", " + std::to_string(d.user) + ")");
    return d;
  }
};

json body(const shop_env::data& d, int n, const std::string& price, const std::string& fee, const std::string& amount,
          bool coupon, const std::string& money_paid) {
  json b = {{"goodsId", std::to_string(d.goods)}, {"userId", std::to_string(d.user)}, {"goodsNumber", n},
            {"goodsPrice", price},                {"shippingFee", fee},               {"orderAmount", amount},
            {"address", "a"},                     {"consignee", "c"}};
  if (coupon) b["couponId"] = std::to_string(d.coupon);
  if (!money_paid.empty()) b["moneyPaid"] = money_paid;
  return b;
}

mq::message_ext message(const std::string& tag, const std::string& key, const json& body) {
  mq::message_ext m;
  m.topic = "t";
  m.set_tags(tag);
  m.set_keys({key});
  m.body = body.dump();
  m.msg_id = "test-" + tag + "-" + key;
  return m;
}

TEST(Order, ConfirmRunsEveryStepAndEnqueuesTheCheckAndTheCreatedStep) {
  shop_env e;
  auto d = e.seed("100.00", "30.00", 10, "5.00");
  auto [st, j] = e.order->post("/order/confirm", body(d, 2, "30.00", "10.00", "70.00", true, "20.00").dump());
  ASSERT_EQ(st, 200) << j.dump();
  std::string id = j["data"]["orderId"];
  auto [gs, o] = e.order->get("/order/" + id);
  ASSERT_EQ(gs, 200);
  EXPECT_EQ(o["data"]["orderStatus"], 1);
  EXPECT_EQ(o["data"]["payAmount"], "45.00");  // 70 - 5 - 20
  EXPECT_EQ(o["data"]["couponId"], std::to_string(d.coupon));
  EXPECT_EQ(e.goods.scalar("SELECT goods_number FROM trade_goods WHERE goods_id = " + std::to_string(d.goods)), 8);
  EXPECT_EQ(e.user.text("SELECT user_money::text FROM trade_user WHERE user_id = " + std::to_string(d.user)), "80.00");
  EXPECT_EQ(e.coupon.text("SELECT order_id::text FROM trade_coupon WHERE coupon_id = " + std::to_string(d.coupon)), id);
  // The outbox: the delayed check (level 5) and the ordered "created" step, in that order.
  EXPECT_EQ(e.order->text("SELECT string_agg(msg_tag || ':' || delay_level || ':' || coalesce(shard_key::text, '-'), ',' "
                          "ORDER BY id) FROM mq_producer_temp WHERE msg_key = '" + id + "'"),
            "order_check:5:-,created:0:" + id);
  // One relay wake-up, after the confirm: it publishes both rows in one pass.
  EXPECT_EQ(e.kicks, 1);
}

TEST(Order, AFailedStepCancelsTheOrderAndEnqueuesTheCompensation) {
  shop_env e("after_use_coupon=fail");
  auto d = e.seed("100.00", "30.00", 10, "5.00");
  auto [st, j] = e.order->post("/order/confirm", body(d, 1, "30.00", "10.00", "40.00", true, "1.50").dump());
  ASSERT_EQ(st, 409) << j.dump();
  EXPECT_EQ(j["code"], 4004);
  EXPECT_EQ(j["success"], false);
  std::string id = j["data"]["orderId"];
  EXPECT_EQ(e.order->scalar("SELECT order_status FROM trade_order WHERE order_id = " + id), 2);
  auto cancel = json::parse(e.order->text("SELECT msg_body FROM mq_producer_temp WHERE msg_tag = 'order_cancel' AND msg_key = '" + id + "'"));
  EXPECT_EQ(cancel["orderId"], id);
  EXPECT_EQ(cancel["userId"], std::to_string(d.user));
  EXPECT_EQ(cancel["goodsId"], std::to_string(d.goods));
  EXPECT_EQ(cancel["goodsNumber"], 1);
  EXPECT_EQ(cancel["couponId"], std::to_string(d.coupon));
  EXPECT_EQ(cancel["userMoney"], "1.50");
  EXPECT_EQ(e.order->scalar("SELECT count(*) FROM mq_producer_temp WHERE msg_tag = 'cancelled' AND msg_key = '" + id + "'"), 1);
  // Step 5 never ran; steps 3 and 4 did (the consumers of the cancel undo them).
  EXPECT_EQ(e.user.text("SELECT user_money::text FROM trade_user WHERE user_id = " + std::to_string(d.user)), "100.00");
  EXPECT_EQ(e.goods.scalar("SELECT goods_number FROM trade_goods WHERE goods_id = " + std::to_string(d.goods)), 9);
  // A confirm can no longer happen: the delayed check leaves it cancelled.
  messaging::idempotent_handler check(e.order->db(), "order_check_group",
                                      [&](pqxx::work& tx, const mq::message_ext& m) { return e.svc->on_check(tx, m); });
  EXPECT_EQ(check.handle(message("order_check", id, {{"orderId", id}})), messaging::outcome::applied);
  EXPECT_EQ(e.order->scalar("SELECT count(*) FROM mq_producer_temp WHERE msg_tag = 'order_cancel' AND msg_key = '" + id + "'"), 1);
}

TEST(Order, TheDelayedCheckCancelsOnlyAnUnconfirmedOrder) {
  shop_env e;
  e.order->sql("INSERT INTO trade_order (order_id, user_id, order_status, goods_id, goods_number, goods_price, goods_amount, "
               "shipping_fee, order_amount, money_paid, pay_amount) VALUES (7001, 1, 0, 2, 3, 1, 3, 10, 13, 2, 11), "
               "(7002, 1, 1, 2, 3, 1, 3, 10, 13, 0, 13)");
  messaging::idempotent_handler check(e.order->db(), "order_check_group",
                                      [&](pqxx::work& tx, const mq::message_ext& m) { return e.svc->on_check(tx, m); });
  EXPECT_EQ(check.handle(message("order_check", "7001", {{"orderId", "7001"}})), messaging::outcome::applied);
  EXPECT_EQ(check.handle(message("order_check", "7001", {{"orderId", "7001"}})), messaging::outcome::duplicate);
  EXPECT_EQ(check.handle(message("order_check", "7002", {{"orderId", "7002"}})), messaging::outcome::applied);
  EXPECT_EQ(e.order->scalar("SELECT order_status FROM trade_order WHERE order_id = 7001"), 2);
  EXPECT_EQ(e.order->scalar("SELECT order_status FROM trade_order WHERE order_id = 7002"), 1);
  EXPECT_EQ(e.order->text("SELECT msg_body FROM mq_producer_temp WHERE msg_tag = 'order_cancel'"),
            json({{"orderId", "7001"}, {"userId", "1"}, {"goodsId", "2"}, {"goodsNumber", 3}, {"couponId", nullptr},
                  {"userMoney", "2.00"}}).dump());
  // order_cancel on an already cancelled order: nothing more.
  messaging::idempotent_handler cancel(e.order->db(), "order_order_cancel_group",
                                       [&](pqxx::work& tx, const mq::message_ext& m) { return e.svc->on_cancel(tx, m); });
  EXPECT_EQ(cancel.handle(message("order_cancel", "7001", {{"orderId", "7001"}})), messaging::outcome::applied);
  EXPECT_EQ(e.order->scalar("SELECT count(*) FROM mq_producer_temp WHERE msg_tag = 'cancelled'"), 1);
  // A malformed message is acknowledged and changes nothing.
  EXPECT_EQ(check.handle(message("order_check", "x", {{"nope", 1}})), messaging::outcome::applied);
}

TEST(Order, PaidOnceStepsInOrderAndTheShippingStateMachine) {
  shop_env e;
  e.order->sql("INSERT INTO trade_order (order_id, user_id, order_status, goods_id, goods_number, goods_price, goods_amount, "
               "shipping_fee, order_amount, pay_amount) VALUES (8001, 1, 1, 2, 1, 5, 5, 10, 15, 15)");
  auto [s0, j0] = e.order->post("/order/8001/ship", "{}");
  EXPECT_EQ(s0, 409) << j0.dump();  // not paid yet
  EXPECT_EQ(j0["code"], 5007);
  messaging::idempotent_handler paid(e.order->db(), "order_paid_group",
                                     [&](pqxx::work& tx, const mq::message_ext& m) { return e.svc->on_paid(tx, m); });
  EXPECT_EQ(paid.handle(message("paid", "9001", {{"orderId", "8001"}, {"payId", "9001"}})), messaging::outcome::applied);
  // Another payment's message for the same order (cannot happen, but): no second step.
  EXPECT_EQ(paid.handle(message("paid", "9002", {{"orderId", "8001"}, {"payId", "9002"}})), messaging::outcome::applied);
  EXPECT_EQ(e.order->scalar("SELECT pay_status FROM trade_order WHERE order_id = 8001"), 2);
  EXPECT_EQ(e.order->scalar("SELECT count(*) FROM mq_producer_temp WHERE msg_tag = 'paid'"), 1);
  auto [f0, fj0] = e.order->post("/order/8001/finish", "{}");
  EXPECT_EQ(f0, 409);  // not shipped
  auto [s1, j1] = e.order->post("/order/8001/ship", "{}");
  EXPECT_EQ(s1, 200) << j1.dump();
  EXPECT_EQ(j1["data"]["repeated"], false);
  auto [s2, j2] = e.order->post("/order/8001/ship", "{}");
  EXPECT_EQ(j2["data"]["repeated"], true);
  auto [f1, fj1] = e.order->post("/order/8001/finish", "{}");
  EXPECT_EQ(f1, 200) << fj1.dump();
  EXPECT_EQ(e.order->text("SELECT string_agg(msg_tag, ',' ORDER BY id) FROM mq_producer_temp WHERE msg_key = '8001'"),
            "paid,shipped,finished");

  // The step consumer: seq in consumption order, one row per step.
  messaging::idempotent_handler steps(e.order->db(), "order_step_group", &order_service::on_step);
  for (auto* s : {"created", "paid", "paid", "shipped", "bogus"})
    steps.handle(message(s, "8001", {{"orderId", "8001"}, {"step", s}, {"at", "2026-01-01T00:00:00.000Z"}}));
  auto [gs, g] = e.order->get("/order/8001/steps");
  ASSERT_EQ(gs, 200);
  ASSERT_EQ(g["data"].size(), 3u) << g.dump();
  EXPECT_EQ(g["data"][0]["seq"], 1);
  EXPECT_EQ(g["data"][0]["step"], "created");
  EXPECT_EQ(g["data"][1]["step"], "paid");
  EXPECT_EQ(g["data"][2]["step"], "shipped");
  EXPECT_EQ(g["data"][0]["at"], "2026-01-01T00:00:00.000Z");
}

TEST(Order, RefusalsBeforeThePreOrderLeaveNoRow) {
  shop_env e;
  auto d = e.seed("10.00", "30.00", 2, "5.00");
  struct c {
    json b;
    int status, code;
  };
  for (auto& x : {c{body(d, 1, "31.00", "10.00", "41.00", false, ""), 409, 2002},
                  c{body(d, 3, "30.00", "10.00", "100.00", false, ""), 409, 2003},
                  c{body(d, 1, "30.00", "0.00", "30.00", false, ""), 409, 5002},
                  c{body(d, 1, "30.00", "10.00", "41.00", false, ""), 409, 5003},
                  c{body(d, 1, "30.00", "10.00", "40.00", false, "10.01"), 409, 3003},
                  c{body(d, 1, "30.00", "10.00", "40.00", false, "-1"), 400, 3002},
                  c{body(d, 1, "30.00", "10.00", "40.00", false, "abc"), 400, 1001}}) {
    auto [st, j] = e.order->post("/order/confirm", x.b.dump());
    EXPECT_EQ(st, x.status) << x.b.dump() << " → " << j.dump();
    EXPECT_EQ(j["code"], x.code) << x.b.dump();
  }
  EXPECT_EQ(e.order->scalar("SELECT count(*) FROM trade_order WHERE user_id = " + std::to_string(d.user)), 0);
  EXPECT_EQ(e.order->scalar("SELECT count(*) FROM mq_producer_temp"), 0);
  EXPECT_EQ(e.goods.scalar("SELECT goods_number FROM trade_goods WHERE goods_id = " + std::to_string(d.goods)), 2);
}

}  // namespace
}  // namespace shop::order
