// The admin client against our name server + broker on loopback.
#include "mq/client/admin.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "client_test_util.h"
#include "mq/common/message_id.h"

namespace mq::client::test {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

client_options admin_opts(const cluster& c) {
  client_options o;
  o.namesrv_addr = c.ns_addr();
  return o;
}

TEST(Admin, TopicsClusterAndStats) {
  cluster c;
  admin_client a(admin_opts(c));
  ASSERT_TRUE(a.start().ok());
  auto ci = a.cluster();
  ASSERT_TRUE(ci) << ci.error().message;
  ASSERT_TRUE(ci->clusters.contains("DefaultCluster"));
  EXPECT_EQ(ci->clusters["DefaultCluster"], std::vector<std::string>{"broker-a"});
  EXPECT_EQ(ci->brokers["broker-a"].master_addr(), c.broker_addr());

  ASSERT_TRUE(a.create_topic_in_cluster("DefaultCluster", {.name = "adm_t", .read_queue_nums = 3, .write_queue_nums = 3}).ok());
  EXPECT_EQ(a.create_topic_in_cluster("NoSuchCluster", {.name = "x"}).code, errc::not_found);
  EXPECT_EQ(a.create_topic(c.broker_addr(), {.name = "bad", .read_queue_nums = 0}).code, errc::invalid_argument);
  auto topics = a.topic_list();
  ASSERT_TRUE(topics);
  EXPECT_NE(std::find(topics->begin(), topics->end(), "adm_t"), topics->end());
  auto route = a.route("adm_t");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->subscribe_queues("adm_t").size(), 3u);

  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(p.send(make_msg("adm_t", "s" + std::to_string(i))));
  // Dispatch to the consume queues is asynchronous: wait for it.
  result<std::vector<queue_stat>> stats = status::error(errc::timeout, "");
  int64_t total = 0;
  for (int i = 0; i < 250 && total != 6; ++i) {
    std::this_thread::sleep_for(20ms);
    stats = a.topic_stats("adm_t");
    ASSERT_TRUE(stats) << stats.error().message;
    ASSERT_EQ(stats->size(), 3u);
    total = 0;
    for (auto& s : *stats) total += s.max_offset - s.min_offset;
  }
  EXPECT_EQ(total, 6);
  EXPECT_EQ((*stats)[0].queue.broker_name, "broker-a");

  auto info = a.broker_runtime_info(c.broker_addr());
  ASSERT_TRUE(info);
  EXPECT_EQ((*info)["brokerVersionDesc"], "V4_9_8");

  ASSERT_TRUE(a.delete_topic("DefaultCluster", "adm_t").ok());
  EXPECT_FALSE(a.route("adm_t"));
}

TEST(Admin, ConsumerProgressConnectionsAndReset) {
  cluster c(broker::test::conf{{"accessMessageInMemoryMaxRatio", "0"}});
  c.create_topic("prog_t", 2);
  admin_client a(admin_opts(c));
  ASSERT_TRUE(a.start().ok());
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p.send(make_msg("prog_t", "first" + std::to_string(i))));
  std::this_thread::sleep_for(20ms);
  int64_t mid = now_ms();
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(p.send(make_msg("prog_t", "second" + std::to_string(i))));

  recorder rec;
  auto o = consumer_opts(c, "prog_group");
  auto cons = std::make_unique<push_consumer>(o);
  ASSERT_TRUE(cons->subscribe("prog_t", "*").ok());
  cons->register_listener([&](const std::vector<message_ext>& msgs, consume_context&) {
    for (auto& m : msgs) rec.add("c", m);
    return consume_status::CONSUME_SUCCESS;
  });
  ASSERT_TRUE(cons->start().ok());
  ASSERT_TRUE(rec.wait_count(14, 20s));
  cons->persist_offsets();
  auto conns = a.consumer_connections("prog_group");
  ASSERT_TRUE(conns) << conns.error().message;
  ASSERT_EQ(conns->connections.size(), 1u);
  EXPECT_EQ(conns->connections[0].client_id, cons->client_id());
  EXPECT_EQ(conns->message_model, "CLUSTERING");
  EXPECT_EQ(conns->subscriptions["prog_t"], "*");

  result<consume_stats> prog = status::error(errc::timeout, "");
  for (int i = 0; i < 250; ++i) {  // the offsets travel oneway
    prog = a.consumer_progress("prog_group", "prog_t");
    ASSERT_TRUE(prog) << prog.error().message;
    if (prog->total_lag() == 0) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(prog->rows.size(), 2u);
  EXPECT_EQ(prog->total_lag(), 0);
  int64_t broker_total = 0;
  for (auto& r : prog->rows) broker_total += r.broker_offset;
  EXPECT_EQ(broker_total, 14);

  // The broker relays questions to the group's client (mqadmin
  // consumerStatus and getConsumerStatus).
  namespace req = remoting::request_code;
  auto ri = remoting::remoting_command::request(req::GET_CONSUMER_RUNNING_INFO);
  ri.set("consumerGroup", "prog_group");
  ri.set("clientId", cons->client_id());
  ri.set("jstackEnable", "false");
  auto running = a.call(c.broker_addr(), ri);
  ASSERT_TRUE(running) << running.error().message;
  ASSERT_EQ(running->code, 0) << running->remark.value_or("");
  auto info = nlohmann::json::parse(running->body);
  EXPECT_EQ(info["properties"]["consumerGroup"], "prog_group");
  EXPECT_EQ(info["properties"]["messageModel"], "CLUSTERING");
  std::set<std::string> subscribed, held_topics;
  for (auto& sub : info["subscriptionSet"]) subscribed.insert(sub["topic"].get<std::string>());
  EXPECT_EQ(subscribed, (std::set<std::string>{"prog_t", "%RETRY%prog_group"}));
  size_t prog_queues = 0;
  for (auto& [k, v] : info["mqTable"].items()) prog_queues += nlohmann::json::parse(k)["topic"] == "prog_t";
  EXPECT_EQ(prog_queues, 2u) << info["mqTable"].dump();
  ri.set("clientId", "nobody@1");
  auto offline = a.call(c.broker_addr(), ri);
  ASSERT_TRUE(offline);
  EXPECT_NE(offline->code, 0);
  EXPECT_NE(offline->remark.value_or("").find("not online"), std::string::npos);
  auto st = remoting::remoting_command::request(req::INVOKE_BROKER_TO_GET_CONSUMER_STATUS);
  st.set("topic", "prog_t");
  st.set("group", "prog_group");
  auto status_resp = a.call(c.broker_addr(), st);
  ASSERT_TRUE(status_resp);
  ASSERT_EQ(status_resp->code, 0) << status_resp->remark.value_or("");
  auto table = nlohmann::json::parse(status_resp->body)["consumerTable"][cons->client_id()];
  ASSERT_EQ(table.size(), 2u) << status_resp->body;
  int64_t held = 0;
  for (auto& [k, v] : table.items()) held += v.get<int64_t>();
  EXPECT_EQ(held, 14);

  // Stop the consumer, reset to `mid`: the lag becomes the 4 "second" messages.
  cons->shutdown();
  auto reset = a.reset_offset_by_time("prog_group", "prog_t", mid);
  ASSERT_TRUE(reset) << reset.error().message;
  EXPECT_EQ(reset->size(), 2u);
  auto after = a.consumer_progress("prog_group", "prog_t");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->total_lag(), 4);
  // A restarted consumer gets exactly those.
  recorder rec2;
  auto cons2 = std::make_unique<push_consumer>(o);
  ASSERT_TRUE(cons2->subscribe("prog_t", "*").ok());
  cons2->register_listener([&](const std::vector<message_ext>& msgs, consume_context&) {
    for (auto& m : msgs) rec2.add("c2", m);
    return consume_status::CONSUME_SUCCESS;
  });
  ASSERT_TRUE(cons2->start().ok());
  ASSERT_TRUE(rec2.wait_count(4, 20s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(rec2.size(), 4u);
  for (auto& r : rec2.snapshot()) EXPECT_EQ(r.msg.body.substr(0, 6), "second");
  EXPECT_FALSE(a.consumer_connections("nobody"));
}

TEST(Admin, QueryMessagesAndSubscriptionGroups) {
  cluster c;
  c.create_topic("q_t", 2);
  admin_client a(admin_opts(c));
  ASSERT_TRUE(a.start().ok());
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  auto m = make_msg("q_t", "find me", "T");
  m.set_keys({"order-42", "user-7"});
  auto sent = p.send(m);
  ASSERT_TRUE(sent);
  ASSERT_TRUE(p.send(make_msg("q_t", "noise")));

  // The index and the consume queues are built asynchronously after the store write.
  auto by_key = a.query_message_by_key("q_t", "order-42", 32, 0, now_ms() + 1000);
  for (int i = 0; i < 250 && !by_key; ++i) {
    std::this_thread::sleep_for(20ms);
    by_key = a.query_message_by_key("q_t", "order-42", 32, 0, now_ms() + 1000);
  }
  ASSERT_TRUE(by_key) << by_key.error().message;
  ASSERT_EQ(by_key->size(), 1u);
  EXPECT_EQ((*by_key)[0].body, "find me");
  EXPECT_EQ(a.query_message_by_key("q_t", "order-43", 32, 0, now_ms() + 1000).error().code, errc::not_found);
  auto by_uniq = a.query_message_by_unique_key("q_t", sent->msg_id);
  ASSERT_TRUE(by_uniq);
  EXPECT_EQ((*by_uniq)[0].body, "find me");
  auto by_id = a.view_message(sent->offset_msg_id);
  ASSERT_TRUE(by_id) << by_id.error().message;
  EXPECT_EQ(by_id->body, "find me");
  EXPECT_EQ(a.view_message("zz").error().code, errc::invalid_argument);
  auto at = a.message_at(sent->queue, sent->queue_offset);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->body, "find me");
  EXPECT_FALSE(a.message_at(sent->queue, 999));

  subscription_group_config g;
  g.group_name = "sg_test";
  g.retry_max_times = 3;
  g.consume_broadcast_enable = false;
  ASSERT_TRUE(a.create_subscription_group("DefaultCluster", g).ok());
  auto groups = a.subscription_groups(c.broker_addr());
  ASSERT_TRUE(groups);
  auto it = std::find_if(groups->begin(), groups->end(), [](auto& x) { return x.group_name == "sg_test"; });
  ASSERT_NE(it, groups->end());
  EXPECT_EQ(it->retry_max_times, 3);
  EXPECT_FALSE(it->consume_broadcast_enable);
  ASSERT_TRUE(a.delete_subscription_group("DefaultCluster", "sg_test").ok());
  groups = a.subscription_groups(c.broker_addr());
  ASSERT_TRUE(groups);
  EXPECT_EQ(std::find_if(groups->begin(), groups->end(), [](auto& x) { return x.group_name == "sg_test"; }),
            groups->end());
}

TEST(Admin, ResendsDeadLettersToTheirOriginalTopic) {
  cluster c;
  c.create_topic("dead_t", 1);
  admin_client a(admin_opts(c));
  ASSERT_TRUE(a.start().ok());
  producer p(producer_opts(c));
  ASSERT_TRUE(p.start().ok());
  auto m = make_msg("dead_t", "poison", "T");
  m.set_keys({"order-1"});
  auto sent = p.send(m);
  ASSERT_TRUE(sent);
  // Straight to the DLQ of group g (send-back with delay level -1).
  auto back = remoting::remoting_command::request(remoting::request_code::CONSUMER_SEND_MSG_BACK);
  auto id = decode_offset_msg_id(sent->offset_msg_id);
  back.set("offset", id->second);
  back.set("group", "g");
  back.set("delayLevel", int64_t{-1});
  ASSERT_EQ(c.call(std::move(back)).response.code, 0);
  std::vector<message_ext> dlq;
  for (int i = 0; i < 250 && dlq.empty(); ++i) {
    auto r = c.pull("x", "%DLQ%g", 0, 0);
    if (r.code == 0) dlq = cluster::records(r);
    else std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(dlq.size(), 1u);
  auto n = a.resend_dlq("g", dlq[0].msg_id);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 1);
  std::vector<message_ext> again;
  for (int i = 0; i < 250 && again.size() < 2; ++i) {
    auto r = c.pull("x", "dead_t", 0, 0);
    if (r.code == 0) again = cluster::records(r);
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[1].body, "poison");
  EXPECT_EQ(again[1].tags(), "T");
  EXPECT_EQ(again[1].keys(), std::vector<std::string>{"order-1"});
  EXPECT_EQ(*again[1].property("UNIQ_KEY"), sent->msg_id);
  EXPECT_EQ(again[1].property("RETRY_TOPIC"), nullptr);
  EXPECT_EQ(again[1].reconsume_times, 0);
  // All of them from offset 0 (the one letter again), and bad ids.
  EXPECT_EQ(*a.resend_dlq("g"), 1);
  EXPECT_EQ(a.resend_dlq("g", sent->offset_msg_id).error().code, errc::not_found);  // not in the DLQ
  EXPECT_FALSE(a.resend_dlq("nobody"));
}

TEST(Admin, UnreachableNameServerIsAClearError) {
  client_options o;
  o.namesrv_addr = "127.0.0.1:1";
  o.request_timeout = 500ms;
  admin_client a(o);
  ASSERT_TRUE(a.start().ok());
  auto begin = std::chrono::steady_clock::now();
  auto r = a.cluster();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("name server"), std::string::npos) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
  client_options empty;
  EXPECT_EQ(admin_client(empty).start().code, errc::invalid_argument);
}

}  // namespace
}  // namespace mq::client::test
