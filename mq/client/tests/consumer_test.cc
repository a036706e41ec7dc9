// Push and pull consumer integration tests against our name server + broker
// on loopback (issue #5's test list).
#include "mq/client/push_consumer.h"

#include <atomic>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "client_test_util.h"

namespace mq::client::test {
namespace {

std::unique_ptr<push_consumer> start_consumer(consumer_options o, const std::string& topic, const std::string& expr,
                                              recorder& rec, const std::string& name) {
  auto c = std::make_unique<push_consumer>(o);
  EXPECT_TRUE(c->subscribe(topic, expr).ok());
  c->register_listener([&rec, name](const std::vector<message_ext>& msgs, consume_context&) {
    for (auto& m : msgs) rec.add(name, m);
    return consume_status::CONSUME_SUCCESS;
  });
  auto st = c->start();
  EXPECT_TRUE(st.ok()) << st.message;
  return c;
}

void send_n(producer& p, const std::string& topic, const std::string& prefix, int n, const std::string& tags = "") {
  for (int i = 0; i < n; ++i) {
    auto r = p.send(make_msg(topic, prefix + std::to_string(i), tags));
    ASSERT_TRUE(r) << r.error().message;
  }
}

TEST(PushConsumer, TagFilterDeliversOnlyMatchingTags) {
  cluster c;
  c.create_topic("tags_t", 2);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  recorder rec;
  auto cons = start_consumer(consumer_opts(c, "tag_group"), "tags_t", "TagA || TagC", rec, "c1");
  send_n(p, "tags_t", "a", 10, "TagA");
  send_n(p, "tags_t", "b", 10, "TagB");
  send_n(p, "tags_t", "c", 10, "TagC");
  ASSERT_TRUE(rec.wait_count(20, 20s)) << rec.size();
  std::this_thread::sleep_for(300ms);
  for (auto& r : rec.snapshot()) EXPECT_NE(r.msg.tags(), "TagB");
  EXPECT_EQ(rec.size(), 20u);
}

TEST(PushConsumer, ClusteringShareQueuesThenSurviveAKill) {
  cluster c;
  c.create_topic("share_t", 8);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  recorder rec;
  std::vector<std::unique_ptr<push_consumer>> cs;
  for (int i = 0; i < 3; ++i)
    cs.push_back(start_consumer(consumer_opts(c, "share_group"), "share_t", "*", rec, "c" + std::to_string(i)));
  // Membership settles: every queue of share_t held by exactly one consumer.
  auto settled = [&](size_t members) {
    std::map<message_queue, int> held;
    for (size_t i = 0; i < members; ++i)
      for (auto& q : cs[i]->assigned_queues())
        if (q.topic == "share_t") held[q]++;
    if (held.size() != 8) return false;
    for (auto& [_, n] : held)
      if (n != 1) return false;
    for (size_t i = 0; i < members; ++i) {
      int mine = 0;
      for (auto& q : cs[i]->assigned_queues()) mine += q.topic == "share_t";
      if (mine < 2) return false;  // 8 over 3: 3/3/2
    }
    return true;
  };
  ASSERT_TRUE(eventually([&] { return settled(3); }, 20s));
  send_n(p, "share_t", "m", 600);
  ASSERT_TRUE(rec.wait_count(600, 30s)) << rec.size();
  std::this_thread::sleep_for(500ms);
  auto counts = rec.counts();
  EXPECT_EQ(counts.size(), 600u);
  for (auto& [body, n] : counts) EXPECT_EQ(n, 1) << body << " consumed " << n << " times";
  std::set<std::string> who;
  for (auto& r : rec.snapshot()) who.insert(r.consumer);
  EXPECT_EQ(who.size(), 3u);

  // Kill one (no offset commit, no unregister): its queues move to the others
  // and nothing is lost (some messages may come twice: at least once).
  cs[2]->halt();
  send_n(p, "share_t", "n", 300);
  ASSERT_TRUE(eventually([&] { return settled(2); }, 30s));
  ASSERT_TRUE(rec.wait([](auto& v) {
    std::set<std::string> b;
    for (auto& r : v) b.insert(r.msg.body);
    return b.size() >= 900;
  }, 40s));
  auto after = rec.counts();
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(after.contains("n" + std::to_string(i))) << i;
  for (auto& x : cs) x->shutdown();
}

TEST(PushConsumer, BroadcastingEveryoneGetsEverythingAndResumesFromLocalOffsets) {
  cluster c;
  c.create_topic("bc_t", 4);
  broker::test::temp_dir offsets_dir;
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  recorder rec;
  auto opts = [&](const std::string& instance) {
    auto o = consumer_opts(c, "bc_group");
    o.model = message_model::BROADCASTING;
    o.instance_name = instance;
    o.offset_store_dir = offsets_dir.path;
    return o;
  };
  auto a = start_consumer(opts("a"), "bc_t", "*", rec, "a");
  auto b = start_consumer(opts("b"), "bc_t", "*", rec, "b");
  ASSERT_TRUE(eventually([&] { return a->assigned_queues().size() == 4 && b->assigned_queues().size() == 4; }, 20s));
  send_n(p, "bc_t", "x", 100);
  ASSERT_TRUE(rec.wait_count(200, 30s)) << rec.size();
  std::map<std::string, std::set<std::string>> per;
  for (auto& r : rec.snapshot()) per[r.consumer].insert(r.msg.body);
  EXPECT_EQ(per["a"].size(), 100u);
  EXPECT_EQ(per["b"].size(), 100u);

  // Restart b: it resumes from its local offsets (no re-delivery of x*),
  // and gets what was sent while it was away.
  b->shutdown();
  b.reset();
  ASSERT_TRUE(std::filesystem::exists(offsets_dir.path));
  send_n(p, "bc_t", "y", 50);
  recorder rec2;
  auto b2 = start_consumer(opts("b"), "bc_t", "*", rec2, "b");
  ASSERT_TRUE(rec2.wait_count(50, 30s)) << rec2.size();
  std::this_thread::sleep_for(500ms);
  for (auto& r : rec2.snapshot()) EXPECT_EQ(r.msg.body[0], 'y') << r.msg.body;
  EXPECT_EQ(rec2.size(), 50u);
}

TEST(PushConsumer, OrderlyStepsKeepPerOrderOrderAndRetryInPlace) {
  cluster c;
  c.create_topic("steps_t", 4);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  const std::vector<std::string> steps = {"create", "pay", "push", "finish"};
  std::mutex mu;
  std::map<int, std::vector<std::string>> seen;  // order -> steps in consumption order
  std::vector<std::pair<int, std::string>> timeline;
  std::atomic<int> pay7_attempts{0};
  std::vector<int> pay7_reconsume;
  auto make = [&](const std::string& name) {
    auto o = consumer_opts(c, "steps_group");
    auto cons = std::make_unique<push_consumer>(o);
    EXPECT_TRUE(cons->subscribe("steps_t", "*").ok());
    cons->register_listener([&, name](const std::vector<message_ext>& msgs, consume_context&) {
      for (auto& m : msgs) {
        int order = std::stoi(*m.property("orderId"));
        if (order == 7 && m.tags() == "pay") {
          std::lock_guard lk(mu);
          pay7_reconsume.push_back(m.reconsume_times);
          timeline.push_back({order, "pay-attempt"});
          if (pay7_attempts++ < 2) return consume_orderly_status::SUSPEND_CURRENT_QUEUE_A_MOMENT;
        }
        std::lock_guard lk(mu);
        timeline.push_back({order, m.tags()});
        if (m.tags() != "probe") seen[order].push_back(m.tags());
      }
      return consume_orderly_status::SUCCESS;
    });
    auto st = cons->start();
    EXPECT_TRUE(st.ok()) << st.message;
    return cons;
  };
  auto c1 = make("c1");
  auto c2 = make("c2");
  ASSERT_TRUE(eventually([&] { return c1->assigned_queues().size() + c2->assigned_queues().size() >= 5; }, 20s));
  auto selector = [](const std::vector<message_queue>& qs, const message&, const std::any& arg) {
    return qs[static_cast<size_t>(std::any_cast<int>(arg)) % qs.size()];
  };
  // Order 7 first, so the other queues have work while its "pay" waits.
  std::vector<int> orders = {7};
  for (int i = 0; i < 100; ++i)
    if (i != 7) orders.push_back(i);
  for (auto& step : steps) {
    for (int order : orders) {
      auto m = make_msg("steps_t", "order " + std::to_string(order) + " " + step, step);
      m.put_property("orderId", std::to_string(order));
      auto r = p.send(m, selector, order);
      ASSERT_TRUE(r) << r.error().message;
      ASSERT_EQ(r->queue.queue_id, order % 4);
    }
  }
  // While order 7's queue is suspended, a message for another queue goes through.
  ASSERT_TRUE(eventually([&] { return pay7_attempts.load() >= 1; }, 30s));
  {
    auto probe = make_msg("steps_t", "probe", "probe");
    probe.put_property("orderId", "1");
    ASSERT_TRUE(p.send(probe, selector, 1));
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(mu);
    bool probed = false;
    for (auto& t : timeline) probed = probed || t.second == "probe";
    if (seen.size() != 100 || !probed) return false;
    for (auto& [_, v] : seen)
      if (v.size() < 4) return false;
    return true;
  }, 60s));
  std::lock_guard lk(mu);
  for (auto& [order, v] : seen) {
    // Per-order order holds (a rebalance may repeat a tail, never reorder).
    ASSERT_GE(v.size(), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(v[i], steps[i]) << "order " << order;
  }
  // The failing step was retried in place: attempts 0, 1, 2 back to back.
  EXPECT_EQ(pay7_reconsume, (std::vector<int>{0, 1, 2}));
  // Other queues kept going while order 7's queue was suspended.
  size_t first = 0, last = 0, probe_at = 0;
  for (size_t i = 0; i < timeline.size(); ++i) {
    if (timeline[i] == std::pair<int, std::string>{7, "pay-attempt"}) {
      if (!first) first = i + 1;
      last = i;
    }
    if (timeline[i].second == "probe") probe_at = i;
  }
  EXPECT_GT(probe_at, first - 1);
  EXPECT_LT(probe_at, last);
  // Nothing of order 7's queue ran between the first and the last pay attempt.
  for (size_t i = first; i < last; ++i)
    if (timeline[i].second != "pay-attempt") {
      EXPECT_NE(timeline[i].first % 4, 3) << timeline[i].first;
    }
}

TEST(PushConsumer, ConsumeFromWhereForANewGroup) {
  // Without the young-queue rule (accessMessageInMemoryMaxRatio=0) a new
  // group starts where consume_from_where says.
  cluster c(broker::test::conf{{"accessMessageInMemoryMaxRatio", "0"}});
  c.create_topic("cfw_t", 1);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  send_n(p, "cfw_t", "old", 10);
  std::this_thread::sleep_for(50ms);
  int64_t mid = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  std::this_thread::sleep_for(50ms);
  send_n(p, "cfw_t", "mid", 5);

  recorder first, last, ts;
  auto o1 = consumer_opts(c, "cfw_first");
  auto c1 = start_consumer(o1, "cfw_t", "*", first, "first");
  auto o2 = consumer_opts(c, "cfw_last");
  o2.from_where = consume_from_where::CONSUME_FROM_LAST_OFFSET;
  auto c2 = start_consumer(o2, "cfw_t", "*", last, "last");
  auto o3 = consumer_opts(c, "cfw_ts");
  o3.from_where = consume_from_where::CONSUME_FROM_TIMESTAMP;
  o3.consume_timestamp = mid;
  auto c3 = start_consumer(o3, "cfw_t", "*", ts, "ts");
  ASSERT_TRUE(eventually([&] {
    return c1->assigned_queues().size() >= 1 && c2->assigned_queues().size() >= 1 && c3->assigned_queues().size() >= 1;
  }, 20s));
  std::this_thread::sleep_for(300ms);
  send_n(p, "cfw_t", "new", 3);
  ASSERT_TRUE(first.wait_count(18, 20s));
  ASSERT_TRUE(last.wait_count(3, 20s));
  ASSERT_TRUE(ts.wait_count(8, 20s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(first.size(), 18u);
  EXPECT_EQ(last.size(), 3u);
  for (auto& r : last.snapshot()) EXPECT_EQ(r.msg.body.substr(0, 3), "new");
  EXPECT_EQ(ts.size(), 8u);
  for (auto& r : ts.snapshot()) EXPECT_NE(r.msg.body.substr(0, 3), "old");

  // A group with a committed offset ignores consume_from_where.
  c1->shutdown();
  recorder again;
  auto c1b = start_consumer(o1, "cfw_t", "*", again, "first-again");
  send_n(p, "cfw_t", "later", 2);
  ASSERT_TRUE(again.wait_count(2, 20s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(again.size(), 2u);
}

TEST(PushConsumer, RetryDeliversAgainWithReconsumeTimes) {
  cluster c(broker::test::conf{{"messageDelayLevel", "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"}});
  c.create_topic("retry_t", 2);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  std::mutex mu;
  std::vector<message_ext> deliveries;
  auto o = consumer_opts(c, "retry_group");
  push_consumer cons(o);
  ASSERT_TRUE(cons.subscribe("retry_t", "*").ok());
  cons.register_listener([&](const std::vector<message_ext>& msgs, consume_context&) {
    std::lock_guard lk(mu);
    for (auto& m : msgs) deliveries.push_back(m);
    return deliveries.size() <= 2 ? consume_status::RECONSUME_LATER : consume_status::CONSUME_SUCCESS;
  });
  ASSERT_TRUE(cons.start().ok());
  ASSERT_TRUE(eventually([&] { return !cons.assigned_queues().empty(); }, 20s));
  auto sent = p.send(make_msg("retry_t", "flaky", "T"));
  ASSERT_TRUE(sent);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(mu);
    return deliveries.size() >= 3;
  }, 30s));
  std::this_thread::sleep_for(1500ms);
  std::lock_guard lk(mu);
  ASSERT_EQ(deliveries.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(deliveries[i].reconsume_times, i);
    EXPECT_EQ(deliveries[i].topic, "retry_t");  // the real topic, restored
    EXPECT_EQ(deliveries[i].body, "flaky");
    EXPECT_EQ(*deliveries[i].property("UNIQ_KEY"), sent->msg_id);
  }
}

TEST(PushConsumer, AlwaysFailingMessageEndsInTheDeadLetterQueue) {
  cluster c(broker::test::conf{{"messageDelayLevel", "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"}});
  c.create_topic("dlq_t", 1);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  std::atomic<int> deliveries{0};
  auto o = consumer_opts(c, "dlq_group");
  o.max_reconsume_times = 2;
  push_consumer cons(o);
  ASSERT_TRUE(cons.subscribe("dlq_t", "*").ok());
  cons.register_listener([&](const std::vector<message_ext>&, consume_context&) -> consume_status {
    deliveries++;
    throw std::runtime_error("always fails");
  });
  ASSERT_TRUE(cons.start().ok());
  ASSERT_TRUE(eventually([&] { return !cons.assigned_queues().empty(); }, 20s));
  auto sent = p.send(make_msg("dlq_t", "poison"));
  ASSERT_TRUE(sent);
  std::vector<message_ext> dlq;
  ASSERT_TRUE(eventually([&] {
    auto resp = c.pull("dlq_reader", "%DLQ%dlq_group", 0, 0);
    if (resp.code != 0) return false;
    dlq = cluster::records(resp);
    return !dlq.empty();
  }, 30s));
  EXPECT_EQ(deliveries.load(), 3);  // first delivery + 2 retries
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].body, "poison");
  EXPECT_EQ(*dlq[0].property("UNIQ_KEY"), sent->msg_id);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(deliveries.load(), 3);  // and no more deliveries
}

TEST(PushConsumer, OrderlyMessageFailingMaxTimesGoesToTheDlqAndTheQueueMovesOn) {
  cluster c;
  c.create_topic("odlq_t", 1);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  std::mutex mu;
  std::vector<std::pair<std::string, int>> seen;  // body, reconsume times
  auto o = consumer_opts(c, "odlq_group");
  o.max_reconsume_times = 2;
  o.suspend_current_queue_time = 200ms;
  push_consumer cons(o);
  ASSERT_TRUE(cons.subscribe("odlq_t", "*").ok());
  cons.register_listener([&](const std::vector<message_ext>& msgs, consume_context&) {
    std::lock_guard lk(mu);
    for (auto& m : msgs) seen.push_back({m.body, m.reconsume_times});
    return msgs.front().body == "poison" ? consume_orderly_status::SUSPEND_CURRENT_QUEUE_A_MOMENT
                                         : consume_orderly_status::SUCCESS;
  });
  ASSERT_TRUE(cons.start().ok());
  ASSERT_TRUE(eventually([&] { return !cons.assigned_queues().empty(); }, 20s));
  message_queue q0{"odlq_t", "broker-a", 0};
  auto sent = p.send(make_msg("odlq_t", "poison"), q0);
  ASSERT_TRUE(sent);
  ASSERT_TRUE(p.send(make_msg("odlq_t", "next"), q0));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(mu);
    return !seen.empty() && seen.back().first == "next";
  }, 20s));
  {
    std::lock_guard lk(mu);
    // Tried 1 + max times, in place, before the next message of the queue.
    ASSERT_EQ(seen.size(), 4u);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(seen[static_cast<size_t>(i)].first, "poison");
      EXPECT_EQ(seen[static_cast<size_t>(i)].second, i);
    }
  }
  std::vector<message_ext> dlq;
  ASSERT_TRUE(eventually([&] {
    auto resp = c.pull("dlq_reader", "%DLQ%odlq_group", 0, 0);
    if (resp.code != 0) return false;
    dlq = cluster::records(resp);
    return !dlq.empty();
  }, 10s));
  EXPECT_EQ(dlq[0].body, "poison");
  EXPECT_EQ(*dlq[0].property("UNIQ_KEY"), sent->msg_id);
}

TEST(LitePullConsumer, AssignSeekAndCommit) {
  // No young-queue rule: a group with no commit has no offset (−1).
  cluster c(broker::test::conf{{"accessMessageInMemoryMaxRatio", "0"}});
  c.create_topic("lite_t", 2);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  message_queue q0{"lite_t", "broker-a", 0};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p.send(make_msg("lite_t", "m" + std::to_string(i)), q0));

  lite_pull_options o;
  static_cast<consumer_options&>(o) = consumer_opts(c, "lite_group");
  o.auto_commit = false;
  lite_pull_consumer lc(o);
  lc.assign({q0});
  ASSERT_TRUE(lc.start().ok());
  auto queues = lc.fetch_queues("lite_t");
  ASSERT_TRUE(queues);
  EXPECT_EQ(queues->size(), 2u);
  std::vector<message_ext> got;
  for (int i = 0; i < 50 && got.size() < 10; ++i) {
    auto m = lc.poll(200ms);
    got.insert(got.end(), m.begin(), m.end());
  }
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got.front().body, "m0");
  EXPECT_EQ(lc.committed(q0).value(), -1);
  ASSERT_TRUE(lc.commit().ok());
  EXPECT_EQ(lc.committed(q0).value(), 10);

  ASSERT_TRUE(lc.seek(q0, 4).ok());
  auto again = lc.poll(2s);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.front().body, "m4");
  EXPECT_EQ(again.front().queue_offset, 4);
  EXPECT_EQ(lc.seek(q0, 99).code, errc::invalid_argument);
  EXPECT_EQ(lc.seek({"lite_t", "broker-a", 1}, 0).code, errc::invalid_argument);
  ASSERT_TRUE(lc.seek_to_end(q0).ok());
  EXPECT_TRUE(lc.poll(300ms).empty());
  ASSERT_TRUE(p.send(make_msg("lite_t", "tail"), q0));
  auto tail = lc.poll(5s);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].body, "tail");
  ASSERT_TRUE(lc.commit().ok());
  lc.shutdown();

  // A subscribing consumer of the same group continues from the commit.
  lite_pull_options o2 = o;
  lite_pull_consumer sub(o2);
  ASSERT_TRUE(sub.subscribe("lite_t", "*").ok());
  ASSERT_TRUE(sub.start().ok());
  ASSERT_TRUE(p.send(make_msg("lite_t", "after-restart"), q0));
  auto next = sub.poll(10s);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].body, "after-restart");
}

TEST(PushConsumer, StartErrorsAreClear) {
  cluster c;
  consumer_options o = consumer_opts(c, "g");
  push_consumer no_listener(o);
  ASSERT_TRUE(no_listener.subscribe("t", "*").ok());
  EXPECT_EQ(no_listener.start().code, errc::invalid_argument);
  push_consumer no_sub(o);
  no_sub.register_listener([](auto&, auto&) { return consume_status::CONSUME_SUCCESS; });
  EXPECT_EQ(no_sub.start().code, errc::invalid_argument);
  push_consumer bad_expr(o);
  EXPECT_EQ(bad_expr.subscribe("t", "a = 1").code, errc::invalid_argument);
  consumer_options unreachable = o;
  unreachable.namesrv_addr = "127.0.0.1:1";
  push_consumer u(unreachable);
  ASSERT_TRUE(u.subscribe("t", "*").ok());
  u.register_listener([](auto&, auto&) { return consume_status::CONSUME_SUCCESS; });
  auto st = u.start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message.find("name server"), std::string::npos) << st.message;
  // A malformed SQL92 expression: the broker's CHECK_CLIENT_CONFIG refuses it and start says so.
  push_consumer sql(o);
  ASSERT_TRUE(sql.subscribe_sql("t", "a > ").ok());
  sql.register_listener([](auto&, auto&) { return consume_status::CONSUME_SUCCESS; });
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(p.send(make_msg("t", "x")));
  auto sst = sql.start();
  EXPECT_FALSE(sst.ok());
  EXPECT_NE(sst.message.find("SQL92"), std::string::npos) << sst.message;
}

TEST(PushConsumer, Sql92SubscriptionGetsOnlyMatchingMessages) {
  cluster c;
  c.create_topic("sql_t", 2);
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  recorder rec;
  auto o = consumer_opts(c, "sql_group");
  push_consumer cons(o);
  ASSERT_TRUE(cons.subscribe_sql("sql_t", "a between 0 and 3 AND (TAGS = 'TagA' OR b IS NOT NULL)").ok());
  cons.register_listener([&](const std::vector<message_ext>& msgs, consume_context&) {
    for (auto& m : msgs) rec.add("c", m);
    return consume_status::CONSUME_SUCCESS;
  });
  auto st = cons.start();
  ASSERT_TRUE(st.ok()) << st.message;
  ASSERT_TRUE(eventually([&] { return cons.assigned_queues().size() >= 2; }, 20s));
  int expected = 0;
  for (int a = -1; a <= 5; ++a) {
    for (const char* tag : {"TagA", "TagB"}) {
      for (bool with_b : {false, true}) {
        auto m = make_msg("sql_t", std::to_string(a) + tag + (with_b ? "b" : ""), tag);
        m.put_property("a", std::to_string(a));
        if (with_b) m.put_property("b", "1");
        ASSERT_TRUE(p.send(m));
        if (a >= 0 && a <= 3 && (std::string(tag) == "TagA" || with_b)) ++expected;
      }
    }
  }
  auto none = make_msg("sql_t", "no a", "TagA");  // a missing: NULL, never matches
  ASSERT_TRUE(p.send(none));
  ASSERT_TRUE(rec.wait_count(static_cast<size_t>(expected), 20s)) << rec.size() << " of " << expected;
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(rec.size(), static_cast<size_t>(expected));
  for (auto& r : rec.snapshot()) {
    int a = std::stoi(*r.msg.property("a"));
    EXPECT_TRUE(a >= 0 && a <= 3) << r.msg.body;
    EXPECT_TRUE(r.msg.tags() == "TagA" || r.msg.property("b")) << r.msg.body;
  }
}

}  // namespace
}  // namespace mq::client::test
