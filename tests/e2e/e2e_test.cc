// The shop's end-to-end scenarios (shop.md "End-to-end tests"), against real
// processes: private PostgreSQL, mqnamesrv, mqbroker and the five services,
// driven over HTTP. Every scenario ends with the consistency checker
// (stack::inconsistencies): balances, stock, coupons, payments and step
// streams agree with each other, and no order is left unconfirmed.
#include <atomic>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "mq/client/producer.h"
#include "shop/common/money.h"
#include "stack.h"

namespace shop::e2e {
namespace {

std::string ids(int64_t v) { return std::to_string(v); }

// A valid confirm request: amounts as the order service computes them.
json order_body(int64_t user, int64_t goods, const std::string& price, int64_t n, std::optional<int64_t> coupon = {},
                const std::string& money_paid = "") {
  auto p = *money::parse(price);
  auto goods_amount = *p.mul(n);
  money fee = goods_amount > money::from_cents(10000) ? money::zero() : money::from_cents(1000);
  json b = {{"goodsId", ids(goods)},
            {"userId", ids(user)},
            {"goodsNumber", n},
            {"goodsPrice", price},
            {"shippingFee", fee.str()},
            {"orderAmount", goods_amount.add(fee)->str()},
            {"address", "1 Test Road"},
            {"consignee", "Tess"}};
  if (coupon) b["couponId"] = ids(*coupon);
  if (!money_paid.empty()) b["moneyPaid"] = money_paid;
  return b;
}

class E2E : public ::testing::Test {
 protected:
  stack& s = stack::get();
  void TearDown() override {
    auto bad = s.settle(90s);
    EXPECT_TRUE(bad.empty()) << "inconsistent after " << ::testing::UnitTest::GetInstance()->current_test_info()->name()
                             << ":\n" << [&] {
                                  std::string all;
                                  for (auto& b : bad) all += "  " + b + "\n";
                                  return all;
                                }() << "order log:\n" << s.log_tail("order");
    s.reset();
  }
  std::string str(const std::string& q) {
    auto r = s.sql(q);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
  }
  json order(int64_t id) { return s.get("order", "/order/" + ids(id)).data(); }
  std::vector<std::string> steps(int64_t id) {
    std::vector<std::string> out;
    auto r = s.get("order", "/order/" + ids(id) + "/steps");
    if (r.ok())
      for (auto& x : r.data()) out.push_back(x["step"]);
    return out;
  }
  int64_t pay_order(int64_t order_id, const std::string& amount) {
    auto c = s.post("pay", "/pay/createPayment", {{"orderId", ids(order_id)}, {"payAmount", amount}});
    EXPECT_TRUE(c.ok()) << c.str();
    if (!c.ok()) return 0;
    return std::stoll(c.data()["payId"].get<std::string>());
  }
  bool order_paid(int64_t id) {
    return eventually([&] { return order(id).value("payStatus", -1) == 2; }, 30s);
  }
};

TEST_F(E2E, OrderPayShipFinish) {
  int64_t u = s.new_user("1000.00"), g = s.new_goods("60.00", 10), c = s.new_coupon(u, "5.00");
  auto r = s.post("order", "/order/confirm", order_body(u, g, "60.00", 2, c, "50.00"));
  ASSERT_TRUE(r.ok()) << r.str();
  int64_t id = std::stoll(r.data()["orderId"].get<std::string>());
  auto o = order(id);
  EXPECT_EQ(o["orderStatus"], 1);
  EXPECT_EQ(o["orderAmount"], "120.00");
  EXPECT_EQ(o["shippingFee"], "0.00");
  EXPECT_EQ(o["couponPaid"], "5.00");
  EXPECT_EQ(o["moneyPaid"], "50.00");
  EXPECT_EQ(o["payAmount"], "65.00");
  EXPECT_EQ(s.get("user", "/user/" + ids(u)).data()["userMoney"], "950.00");
  EXPECT_EQ(s.get("goods", "/goods/" + ids(g)).data()["goodsNumber"], 8);
  EXPECT_EQ(s.get("coupon", "/coupon/" + ids(c)).data()["isUsed"], 1);
  EXPECT_TRUE(eventually([&] { return steps(id) == std::vector<std::string>{"created"}; }));

  int64_t pay = pay_order(id, "65.00");
  auto cb = s.post("pay", "/pay/callbackPayment", {{"payId", ids(pay)}, {"isPaid", 2}});
  ASSERT_TRUE(cb.ok()) << cb.str();
  ASSERT_TRUE(order_paid(id));
  EXPECT_TRUE(eventually([&] { return s.get("user", "/user/" + ids(u)).data()["userScore"] == 65; }));
  EXPECT_EQ(s.post("pay", "/pay/createPayment", {{"orderId", ids(id)}, {"payAmount", "65.00"}}).code(), 6001);
  ASSERT_TRUE(s.post("order", "/order/" + ids(id) + "/ship", json::object()).ok());
  ASSERT_TRUE(s.post("order", "/order/" + ids(id) + "/finish", json::object()).ok());
  EXPECT_TRUE(s.post("order", "/order/" + ids(id) + "/finish", json::object()).data()["repeated"] == true);
  EXPECT_TRUE(eventually([&] {
    return steps(id) == std::vector<std::string>{"created", "paid", "shipped", "finished"};
  })) << s.get("order", "/order/" + ids(id) + "/steps").str();
  EXPECT_EQ(s.scalar("SELECT user_score FROM users.trade_user WHERE user_id = " + ids(u)), 65);
}

TEST_F(E2E, IdempotencyKeyReplaysTheFirstAnswer) {
  int64_t u = s.new_user("100.00"), g = s.new_goods("20.00", 10);
  auto body = order_body(u, g, "20.00", 1);
  std::map<std::string, std::string> key{{"Idempotency-Key", "e2e-key-" + ids(u)}};
  auto first = s.post("order", "/order/confirm", body, key);
  ASSERT_TRUE(first.ok()) << first.str();
  auto again = s.post("order", "/order/confirm", body, key);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(s.scalar("SELECT count(*) FROM orders.trade_order WHERE user_id = " + ids(u)), 1);
  body["goodsNumber"] = 2;
  body["orderAmount"] = "50.00";
  EXPECT_EQ(s.post("order", "/order/confirm", body, key).code(), 1008);
  // createPayment and callbackPayment too.
  int64_t id = std::stoll(first.data()["orderId"].get<std::string>());
  std::map<std::string, std::string> pkey{{"Idempotency-Key", "e2e-pay-" + ids(u)}};
  auto p1 = s.post("pay", "/pay/createPayment", {{"orderId", ids(id)}, {"payAmount", "30.00"}}, pkey);
  auto p2 = s.post("pay", "/pay/createPayment", {{"orderId", ids(id)}, {"payAmount", "30.00"}}, pkey);
  ASSERT_TRUE(p1.ok()) << p1.str();
  EXPECT_EQ(p1.body, p2.body);
  EXPECT_EQ(s.scalar("SELECT count(*) FROM pay.trade_pay WHERE order_id = " + ids(id)), 1);
  std::map<std::string, std::string> ckey{{"Idempotency-Key", "e2e-cb-" + ids(u)}};
  json cb = {{"payId", p1.data()["payId"]}, {"isPaid", 2}};
  auto c1 = s.post("pay", "/pay/callbackPayment", cb, ckey);
  auto c2 = s.post("pay", "/pay/callbackPayment", cb, ckey);
  ASSERT_TRUE(c1.ok()) << c1.str();
  EXPECT_EQ(c1.body, c2.body);
  EXPECT_EQ(s.post("pay", "/pay/callbackPayment", cb).code(), 6003);  // without the key: already paid
  ASSERT_TRUE(order_paid(id));
}

struct fault_case {
  const char* point;
  int code;
};

TEST_F(E2E, FailureAfterEachStepIsCompensatedExactlyOnce) {
  for (auto fc : {fault_case{"after_reduce_goods", 2004}, fault_case{"after_use_coupon", 4004},
                  fault_case{"after_reduce_money", 3004}, fault_case{"before_confirm", 5005}}) {
    SCOPED_TRACE(fc.point);
    s.restart("order", std::string(fc.point) + "=fail");
    int64_t u = s.new_user("500.00"), g = s.new_goods("30.00", 5), c = s.new_coupon(u, "10.00");
    auto r = s.post("order", "/order/confirm", order_body(u, g, "30.00", 4, c, "20.00"));
    ASSERT_EQ(r.status, 409) << r.str();
    EXPECT_EQ(r.code(), fc.code);
    EXPECT_FALSE(r.body["success"].get<bool>());
    int64_t id = std::stoll(r.data()["orderId"].get<std::string>());
    EXPECT_TRUE(eventually([&] { return steps(id) == std::vector<std::string>{"cancelled"}; })) << fc.point;
    auto bad = s.settle(60s);
    EXPECT_TRUE(bad.empty()) << bad.front();
    EXPECT_EQ(order(id)["orderStatus"], 2);
    EXPECT_EQ(s.get("user", "/user/" + ids(u)).data()["userMoney"], "500.00");
    EXPECT_EQ(s.get("goods", "/goods/" + ids(g)).data()["goodsNumber"], 5);
    EXPECT_EQ(s.get("coupon", "/coupon/" + ids(c)).data()["isUsed"], 0);

    // The cancel delivered a second time (a producer retry, a replay): still once.
    auto row = s.sql("SELECT msg_body FROM orders.mq_producer_temp WHERE msg_tag = 'order_cancel' AND msg_key = '" +
                     ids(id) + "'");
    ASSERT_EQ(row.size(), 1u);
    mq::client::producer_options po;
    po.group = "e2e_replay_group";
    po.namesrv_addr = s.namesrv();
    mq::client::producer replay(po);
    ASSERT_TRUE(replay.start().ok());
    mq::message m;
    m.topic = "orderTopic";
    m.set_tags("order_cancel");
    m.set_keys({ids(id)});
    m.body = row[0][0].c_str();
    ASSERT_TRUE(replay.send(m).ok());
    replay.shutdown();
    for (auto* grp : {"goods_order_cancel_group", "coupon_order_cancel_group", "user_order_cancel_group"})
      EXPECT_TRUE(eventually([&] {
        return s.scalar(std::string("SELECT count(*) FROM ") +
                        (grp[0] == 'g' ? "goods" : grp[0] == 'c' ? "coupon" : "users") +
                        ".mq_consumer_log WHERE msg_key = '" + ids(id) + "' AND consumer_status = 1") == 1;
      })) << grp;
    std::this_thread::sleep_for(1500ms);  // time for the replay to be consumed (and ignored)
    EXPECT_EQ(s.scalar("SELECT count(*) FROM goods.trade_goods_number_log WHERE order_id = " + ids(id) + " AND log_type = 2"), 1);
    EXPECT_EQ(s.get("goods", "/goods/" + ids(g)).data()["goodsNumber"], 5);
    EXPECT_EQ(s.get("user", "/user/" + ids(u)).data()["userMoney"], "500.00");
  }
}

TEST_F(E2E, ConsumerKilledDuringCompensationAppliesItOnceAfterRestart) {
  s.restart("goods", "goods_cancel_before_commit=exit@1");
  s.restart("order", "after_reduce_money=fail");
  int64_t u = s.new_user("200.00"), g = s.new_goods("15.00", 9);
  auto r = s.post("order", "/order/confirm", order_body(u, g, "15.00", 3, {}, "12.00"));
  ASSERT_EQ(r.status, 409) << r.str();
  int64_t id = std::stoll(r.data()["orderId"].get<std::string>());
  // goods dies inside its compensation transaction: nothing of it is kept.
  ASSERT_TRUE(eventually([&] { return !s.running("goods"); }, 30s)) << s.log_tail("goods");
  EXPECT_EQ(s.scalar("SELECT goods_number FROM goods.trade_goods WHERE goods_id = " + ids(g)), 6);
  EXPECT_EQ(s.scalar("SELECT count(*) FROM goods.trade_goods_number_log WHERE order_id = " + ids(id) + " AND log_type = 2"), 0);
  s.start("goods");
  EXPECT_TRUE(eventually([&] { return s.get("goods", "/goods/" + ids(g)).data()["goodsNumber"] == 9; }, 60s));
  EXPECT_EQ(s.scalar("SELECT count(*) FROM goods.trade_goods_number_log WHERE order_id = " + ids(id) + " AND log_type = 2"), 1);
  EXPECT_EQ(order(id)["orderStatus"], 2);
}

TEST_F(E2E, OrderServiceKilledBetweenStepsIsCompensatedByTheDelayedCheck) {
  s.restart("order", "after_use_coupon=exit@1");
  int64_t u = s.new_user("300.00"), g = s.new_goods("40.00", 7), c = s.new_coupon(u, "8.00");
  auto r = s.post("order", "/order/confirm", order_body(u, g, "40.00", 1, c, "30.00"));
  EXPECT_EQ(r.status, -1) << "the order service should have died mid-request: " << r.str();
  ASSERT_TRUE(eventually([&] { return !s.running("order"); }, 10s));
  int64_t id = s.scalar("SELECT max(order_id) FROM orders.trade_order WHERE user_id = " + ids(u));
  ASSERT_GT(id, 0);
  EXPECT_EQ(s.scalar("SELECT order_status FROM orders.trade_order WHERE order_id = " + ids(id)), 0);
  EXPECT_EQ(s.scalar("SELECT goods_number FROM goods.trade_goods WHERE goods_id = " + ids(g)), 6);  // reduced, not restored
  s.start("order");
  EXPECT_TRUE(eventually([&] { return order(id).value("orderStatus", -1) == 2; }, 60s));
  auto bad = s.settle(60s);
  EXPECT_TRUE(bad.empty()) << bad.front();
  EXPECT_EQ(s.get("goods", "/goods/" + ids(g)).data()["goodsNumber"], 7);
  EXPECT_EQ(s.get("coupon", "/coupon/" + ids(c)).data()["isUsed"], 0);
  EXPECT_EQ(s.get("user", "/user/" + ids(u)).data()["userMoney"], "300.00");
  EXPECT_EQ(steps(id), std::vector<std::string>{"cancelled"});
}

TEST_F(E2E, BrokerDownAtTheFailureTheOutboxDeliversTheCancelLater) {
  s.restart("order", "before_confirm=fail");
  int64_t u = s.new_user("80.00"), g = s.new_goods("25.00", 4);
  s.stop("broker");
  auto r = s.post("order", "/order/confirm", order_body(u, g, "25.00", 2, {}, "10.00"));
  ASSERT_EQ(r.status, 409) << r.str();
  EXPECT_EQ(r.code(), 5005);
  int64_t id = std::stoll(r.data()["orderId"].get<std::string>());
  std::this_thread::sleep_for(2s);
  // Nothing could be published: the cancel waits in the outbox; stock and balance still used.
  EXPECT_EQ(s.scalar("SELECT count(*) FROM orders.mq_producer_temp WHERE msg_key = '" + ids(id) +
                     "' AND msg_tag = 'order_cancel' AND msg_status = 0"),
            1);
  EXPECT_EQ(s.scalar("SELECT goods_number FROM goods.trade_goods WHERE goods_id = " + ids(g)), 2);
  EXPECT_EQ(str("SELECT user_money::text FROM users.trade_user WHERE user_id = " + ids(u)), "70.00");
  s.start("broker");
  EXPECT_TRUE(eventually([&] { return s.get("goods", "/goods/" + ids(g)).data()["goodsNumber"] == 4; }, 90s))
      << s.log_tail("goods");
  EXPECT_TRUE(eventually([&] { return s.get("user", "/user/" + ids(u)).data()["userMoney"] == "80.00"; }, 60s));
  // The relay marks rows sent in the pass after their sends, so a consumer can
  // apply a message just before its row is marked: every row ends up sent.
  EXPECT_TRUE(eventually([&] {
    return s.scalar("SELECT count(*) FROM orders.mq_producer_temp WHERE msg_key = '" + ids(id) + "' AND msg_status = 0") == 0;
  }, 30s));
}

TEST_F(E2E, PaymentsSettleOnceUnderRacesAndCrashes) {
  int64_t u = s.new_user("0.00"), g = s.new_goods("50.00", 30);
  auto new_order = [&] {
    auto r = s.post("order", "/order/confirm", order_body(u, g, "50.00", 1));
    EXPECT_TRUE(r.ok()) << r.str();
    return std::stoll(r.data()["orderId"].get<std::string>());
  };
  // Two concurrent callbacks: one wins, the other is told it is paid.
  int64_t o1 = new_order();
  int64_t p1 = pay_order(o1, "60.00");
  response a, b;
  std::thread t1([&] { a = s.post("pay", "/pay/callbackPayment", {{"payId", ids(p1)}, {"isPaid", 2}}); });
  std::thread t2([&] { b = s.post("pay", "/pay/callbackPayment", {{"payId", ids(p1)}, {"isPaid", 2}}); });
  t1.join();
  t2.join();
  EXPECT_EQ(a.ok() + b.ok(), 1) << a.str() << " / " << b.str();
  EXPECT_EQ((a.ok() ? b : a).code(), 6003);
  ASSERT_TRUE(order_paid(o1));

  // The pay service dies after its local commit, before END_TRANSACTION: the
  // broker's check-back finds the tx_log row and commits the message.
  int64_t o2 = new_order();
  int64_t p2 = pay_order(o2, "60.00");
  s.restart("pay", "pay_after_local_commit=exit@1");
  auto dead = s.post("pay", "/pay/callbackPayment", {{"payId", ids(p2)}, {"isPaid", 2}});
  EXPECT_EQ(dead.status, -1) << dead.str();
  ASSERT_TRUE(eventually([&] { return !s.running("pay"); }, 10s));
  EXPECT_EQ(s.scalar("SELECT is_paid FROM pay.trade_pay WHERE pay_id = " + ids(p2)), 2);
  EXPECT_EQ(order(o2)["payStatus"], 0);  // the message is still a half message
  s.start("pay");
  ASSERT_TRUE(order_paid(o2)) << s.log_tail("pay");

  // The pay service dies after the half message, before its local
  // transaction: the check-back fences and rolls it back; the payment stays
  // unpaid and a new callback pays it.
  int64_t o3 = new_order();
  int64_t p3 = pay_order(o3, "60.00");
  s.restart("pay", "pay_after_half_message=exit@1");
  dead = s.post("pay", "/pay/callbackPayment", {{"payId", ids(p3)}, {"isPaid", 2}});
  EXPECT_EQ(dead.status, -1) << dead.str();
  ASSERT_TRUE(eventually([&] { return !s.running("pay"); }, 10s));
  s.start("pay");
  ASSERT_TRUE(eventually([&] {
    return s.scalar("SELECT count(*) FROM pay.tx_log WHERE pay_id = " + ids(p3) + " AND state = 2") == 1;
  }, 30s)) << "no fence row: the check-back did not run\n" << s.log_tail("pay");
  EXPECT_EQ(s.get("pay", "/pay/" + ids(p3)).data()["isPaid"], 1);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(order(o3)["payStatus"], 0);
  auto again = s.post("pay", "/pay/callbackPayment", {{"payId", ids(p3)}, {"isPaid", 2}});
  ASSERT_TRUE(again.ok()) << again.str();
  ASSERT_TRUE(order_paid(o3));

  // Score once per order: 3 orders × 60 points.
  EXPECT_TRUE(eventually([&] { return s.scalar("SELECT user_score FROM users.trade_user WHERE user_id = " + ids(u)) == 180; }));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(s.scalar("SELECT user_score FROM users.trade_user WHERE user_id = " + ids(u)), 180);
}

TEST_F(E2E, ManyConcurrentOrdersKeepTheirStepsInOrder) {
  constexpr int n = 50;
  int64_t g = s.new_goods("10.00", 1000);
  std::vector<int64_t> users, orders(n, 0);
  for (int i = 0; i < n; ++i) users.push_back(s.new_user("0.00"));
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i) {
    ts.emplace_back([&, i] {
      auto r = s.post("order", "/order/confirm", order_body(users[i], g, "10.00", 1));
      if (!r.ok()) {
        failures++;
        ADD_FAILURE() << r.str();
        return;
      }
      int64_t id = std::stoll(r.data()["orderId"].get<std::string>());
      orders[i] = id;
      auto c = s.post("pay", "/pay/createPayment", {{"orderId", ids(id)}, {"payAmount", "20.00"}});
      if (!c.ok()) {
        failures++;
        ADD_FAILURE() << c.str();
        return;
      }
      auto cb = s.post("pay", "/pay/callbackPayment", {{"payId", c.data()["payId"]}, {"isPaid", 2}});
      if (!cb.ok() || !eventually([&] { return order(id).value("payStatus", -1) == 2; }, 60s)) {
        failures++;
        ADD_FAILURE() << cb.str();
        return;
      }
      if (!s.post("order", "/order/" + ids(id) + "/ship", json::object()).ok() ||
          !s.post("order", "/order/" + ids(id) + "/finish", json::object()).ok())
        failures++;
    });
  }
  for (auto& t : ts) t.join();
  ASSERT_EQ(failures.load(), 0);
  const std::vector<std::string> life = {"created", "paid", "shipped", "finished"};
  for (auto id : orders) EXPECT_TRUE(eventually([&] { return steps(id) == life; }, 60s)) << id;
  EXPECT_EQ(s.scalar("SELECT goods_number FROM goods.trade_goods WHERE goods_id = " + ids(g)), 1000 - n);
}

TEST_F(E2E, BadInputIsRefusedAndChangesNothing) {
  int64_t u = s.new_user("50.00"), other = s.new_user("50.00"), g = s.new_goods("12.00", 3);
  int64_t c = s.new_coupon(other, "2.00");
  auto snapshot = [&] {
    return str("SELECT concat_ws('|', (SELECT count(*) FROM orders.trade_order), (SELECT count(*) FROM pay.trade_pay), "
               "(SELECT count(*) FROM orders.mq_producer_temp), (SELECT sum(user_money) FROM users.trade_user), "
               "(SELECT sum(goods_number) FROM goods.trade_goods), (SELECT count(*) FROM coupon.trade_coupon WHERE is_used = 1), "
               "(SELECT count(*) FROM users.trade_user_money_log), (SELECT count(*) FROM goods.trade_goods_number_log))");
  };
  std::string before = snapshot();
  auto good = order_body(u, g, "12.00", 1);
  auto with = [&](const char* k, json v) {
    auto b = good;
    if (v.is_discarded()) b.erase(k);
    else b[k] = v;
    return b.dump();
  };
  struct bad_case {
    std::string service, target, body;
    int status, code;
  };
  std::vector<bad_case> cases = {
      {"order", "/order/confirm", "{not json", 400, 1001},
      {"order", "/order/confirm", "[1,2]", 400, 1001},
      {"order", "/order/confirm", "", 400, 1001},
      {"order", "/order/confirm", with("goodsId", json::value_t::discarded), 400, 1001},
      {"order", "/order/confirm", with("goodsId", "abc"), 400, 1001},
      {"order", "/order/confirm", with("goodsId", -5), 400, 1001},
      {"order", "/order/confirm", with("userId", true), 400, 1001},
      {"order", "/order/confirm", with("goodsNumber", 0), 400, 1001},
      {"order", "/order/confirm", with("goodsNumber", -1), 400, 1001},
      {"order", "/order/confirm", with("goodsNumber", 1e15), 400, 1001},
      {"order", "/order/confirm", with("goodsNumber", 1.5), 400, 1001},
      {"order", "/order/confirm", with("goodsPrice", "12.001"), 400, 1001},
      {"order", "/order/confirm", with("goodsPrice", "-12.00"), 400, 1001},
      {"order", "/order/confirm", with("goodsPrice", 1e300), 400, 1001},
      {"order", "/order/confirm", with("orderAmount", "99999999999999999999"), 400, 1001},
      {"order", "/order/confirm", with("moneyPaid", "-1.00"), 400, 3002},
      {"order", "/order/confirm", with("address", json::value_t::discarded), 400, 1001},
      {"order", "/order/confirm", with("consignee", std::string(1000, 'x')), 400, 1001},
      {"order", "/order/confirm", with("goodsId", "987654321"), 404, 2001},
      {"order", "/order/confirm", with("userId", "987654321"), 404, 3001},
      {"order", "/order/confirm", with("goodsPrice", "11.00"), 409, 2002},
      {"order", "/order/confirm", with("goodsNumber", 4), 409, 2003},
      {"order", "/order/confirm", with("shippingFee", "0.00"), 409, 5002},
      {"order", "/order/confirm", with("orderAmount", "21.00"), 409, 5003},
      {"order", "/order/confirm", with("couponId", "987654321"), 404, 4001},
      {"order", "/order/confirm", with("couponId", ids(c)), 409, 4005},
      {"order", "/order/confirm", with("moneyPaid", "50.01"), 409, 3003},
      {"order", "/order/confirm", "{\"x\":\"" + std::string(2 << 20, 'a') + "\"}", 413, 1002},
      {"order", "/order/987654321/ship", "{}", 404, 5006},
      {"order", "/order/abc/ship", "{}", 400, 1001},
      {"pay", "/pay/createPayment", "{}", 400, 1001},
      {"pay", "/pay/createPayment", R"({"orderId":"987654321","payAmount":"1.00"})", 404, 5006},
      {"pay", "/pay/createPayment", R"({"orderId":"987654321","payAmount":"1.001"})", 400, 1001},
      {"pay", "/pay/callbackPayment", R"({"payId":"987654321","isPaid":2})", 404, 6002},
      {"pay", "/pay/callbackPayment", R"({"payId":"987654321","isPaid":1})", 400, 1001},
      {"pay", "/pay/callbackPayment", R"({"payId":"987654321","isPaid":"yes"})", 400, 1001},
      {"goods", "/goods/reduce", R"({"goodsId":"1","orderId":"2","goodsNumber":-3})", 400, 1001},
      {"user", "/user/money", R"({"userId":"1","orderId":"2","useMoney":"1e5","moneyLogType":1})", 400, 1001},
  };
  for (auto& bc : cases) {
    auto r = s.post_raw(bc.service, bc.target, bc.body);
    EXPECT_EQ(r.status, bc.status) << bc.service << " " << bc.target << " " << bc.body.substr(0, 200) << " → " << r.str().substr(0, 300);
    EXPECT_EQ(r.code(), bc.code) << bc.target << " " << bc.body.substr(0, 200);
    EXPECT_TRUE(r.body.is_object() && r.body["success"] == false);
  }
  for (auto [svc, target, status] : {std::tuple{"order", "/order/abc", 400}, std::tuple{"order", "/order/987654321", 404},
                                     std::tuple{"order", "/order/987654321/steps", 404}, std::tuple{"pay", "/pay/987654321", 404},
                                     std::tuple{"pay", "/pay/-1", 400}}) {
    auto r = s.get(svc, target);
    EXPECT_EQ(r.status, status) << target;
    EXPECT_EQ(r.body["success"], false);
  }
  EXPECT_EQ(snapshot(), before);
}

// Random traffic while processes are SIGKILLed and restarted (tests/e2e/chaos.sh
// runs it; not part of CI). SHOP_CHAOS_SECONDS bounds the traffic phase.
// Known open bug (docs/status.md): some runs end with orders whose outbox rows
// or step/check messages stall after a kill, so the checker fails.
// Random kills under traffic. CI runs a 20 s round with the default seed;
// tests/e2e/chaos.sh runs longer ones (SHOP_CHAOS_SECONDS, SHOP_CHAOS_SEED).
TEST_F(E2E, Chaos) {
  int seconds = std::getenv("SHOP_CHAOS_SECONDS") ? std::atoi(std::getenv("SHOP_CHAOS_SECONDS")) : 20;
  uint64_t seed = std::getenv("SHOP_CHAOS_SEED") ? std::strtoull(std::getenv("SHOP_CHAOS_SEED"), nullptr, 10) : 42;
  std::vector<int64_t> users, goods, coupons;
  for (int i = 0; i < 20; ++i) users.push_back(s.new_user("1000.00"));
  for (int i = 0; i < 5; ++i) goods.push_back(s.new_goods(std::to_string(5 + i * 20) + ".00", 1'000'000));  // stock never runs out
  for (int i = 0; i < 40; ++i) coupons.push_back(s.new_coupon(users[i % users.size()], "3.00"));
  std::atomic<bool> stop{false};
  std::atomic<int> confirmed{0}, refused{0}, no_answer{0}, paid{0}, kills{0};
  std::mutex kill_mu;  // the killer and the workers' restarts don't overlap
  std::vector<std::thread> ts;
  for (int w = 0; w < 4; ++w) {
    ts.emplace_back([&, w] {
      std::mt19937_64 rng(w * 7919 + 1);
      while (!stop) {
        int64_t u = users[rng() % users.size()];
        int64_t g = goods[rng() % goods.size()];
        int gi = static_cast<int>(std::find(goods.begin(), goods.end(), g) - goods.begin());
        std::optional<int64_t> c;
        if (rng() % 3 == 0) c = coupons[rng() % coupons.size()];
        std::string mp = rng() % 2 ? "1.00" : "";
        auto r = s.post("order", "/order/confirm", order_body(u, g, std::to_string(5 + gi * 20) + ".00", 1 + rng() % 2, c, mp));
        if (r.status == -1) {
          no_answer++;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a client backs off
          continue;
        }
        if (!r.ok()) {
          refused++;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        confirmed++;
        int64_t id = std::stoll(r.data()["orderId"].get<std::string>());
        if (rng() % 2) {
          auto o = order(id);
          if (!o.is_object() || !o.contains("payAmount")) continue;
          auto cp = s.post("pay", "/pay/createPayment", {{"orderId", ids(id)}, {"payAmount", o["payAmount"]}});
          if (!cp.ok()) continue;
          auto cb = s.post("pay", "/pay/callbackPayment", {{"payId", cp.data()["payId"]}, {"isPaid", 2}});
          if (cb.ok()) paid++;
        }
      }
    });
  }
  std::thread killer([&] {
    std::mt19937_64 rng(seed);
    const std::vector<std::string> victims = {"order", "pay", "goods", "coupon", "user", "broker"};
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2000 + rng() % 4000));
      auto v = victims[rng() % victims.size()];
      s.kill(v);
      kills++;
      std::printf("chaos: kill %d: %s\n", kills.load(), v.c_str());
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 2500));
      s.start(v);
    }
    stop = true;
  });
  killer.join();
  for (auto& t : ts) t.join();
  std::printf("chaos: seed %llu, %d s, %d kills; confirmed %d, refused %d, no answer %d, paid %d\n", static_cast<unsigned long long>(seed), seconds, kills.load(),
              confirmed.load(), refused.load(), no_answer.load(), paid.load());
  // Everything the killer restarted is still up (a harness that lost its
  // children would otherwise show up as "messages never consumed").
  for (auto v : {"order", "pay", "goods", "coupon", "user", "broker", "namesrv"}) EXPECT_TRUE(s.running(v)) << v;
  auto bad = s.settle(180s);
  EXPECT_TRUE(bad.empty()) << bad.size() << " inconsistencies, first: " << (bad.empty() ? "" : bad.front());
  std::printf("chaos: orders %lld (confirmed %lld, cancelled %lld); consistency %s\n",
              static_cast<long long>(s.scalar("SELECT count(*) FROM orders.trade_order")),
              static_cast<long long>(s.scalar("SELECT count(*) FROM orders.trade_order WHERE order_status = 1")),
              static_cast<long long>(s.scalar("SELECT count(*) FROM orders.trade_order WHERE order_status = 2")),
              bad.empty() ? "holds" : "BROKEN");
}

}  // namespace
}  // namespace shop::e2e
