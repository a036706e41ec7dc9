// The broker's pieces without sockets: configuration, subscriptions, the
// metadata files and long-polling bookkeeping.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "client_manager.h"
#include "consumer_offset_manager.h"
#include "mq/broker/broker_config.h"
#include "mq/common/tag_hash.h"
#include "pull_hold_service.h"
#include "subscription_group_manager.h"
#include "topic_config_manager.h"

namespace mq::broker {
namespace {

struct tmp {
  std::string path;
  tmp() {
    char t[] = "/tmp/mq_broker_unit_XXXXXX";
    path = ::mkdtemp(t);
  }
  ~tmp() { std::filesystem::remove_all(path); }
};

TEST(BrokerConfig, DefaultsAndBothSpellings) {
  auto c = broker_config_from({{"storePathRootDir", "/tmp/x"}, {"mapedFileSizeCommitLog", "1048576"},
                               {"brokerName", "b1"}, {"flushDiskType", "SYNC_FLUSH"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->store.mapped_file_size_commit_log, 1048576);
  EXPECT_EQ(c->store.flush_disk, store::flush_disk_type::sync_flush);
  EXPECT_EQ(c->listen_port, 10911);
  EXPECT_EQ(c->default_topic_queue_nums, 8);
  EXPECT_TRUE(c->auto_create_topic_enable);
  EXPECT_EQ(c->broker_cluster_name, "DefaultCluster");
  auto d = broker_config_from({{"storePathRootDir", "/tmp/x"}, {"mappedFileSizeCommitLog", "2097152"},
                               {"mapedFileSizeConsumeQueue", "600000"}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->store.mapped_file_size_commit_log, 2097152);
  EXPECT_EQ(d->store.mapped_file_size_consume_queue, 600000);
}

TEST(BrokerConfig, HaKeys) {
  auto m = broker_config_from({{"storePathRootDir", "/tmp/x"}, {"listenPort", "20911"}, {"brokerRole", "SYNC_MASTER"},
                               {"haMaxGapNotInSync", "1048576"}, {"slaveReadEnable", "true"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->ha_listen_port, 20912);  // listenPort + 1
  EXPECT_EQ(m->store.ha_listen_port, 20912);
  EXPECT_EQ(m->store.role, store::store_role::sync_master);
  EXPECT_EQ(m->store.ha_slave_fallbehind_max, 1048576);  // Java's other name for it
  EXPECT_TRUE(m->slave_read_enable);
  EXPECT_EQ(m->ha_server_addr(), m->broker_ip2 + ":20912");
  auto s = broker_config_from({{"storePathRootDir", "/tmp/x"}, {"brokerRole", "SLAVE"}, {"brokerId", "2"},
                               {"haMasterAddress", "10.0.0.1:10912"}, {"haListenPort", "30000"}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->store.role, store::store_role::slave);
  EXPECT_EQ(s->store.ha_listen_port, 0);  // a slave serves no slaves
  EXPECT_EQ(s->store.ha_master_address, "10.0.0.1:10912");
  EXPECT_EQ(s->broker_id, 2);
  for (auto [k, v] : {std::pair{"haTransferBatchSize", "10"}, std::pair{"haListenPort", "70000"},
                      std::pair{"slaveTimeout", "0"}}) {
    auto bad = broker_config_from({{"storePathRootDir", "/tmp/x"}, {k, v}});
    ASSERT_FALSE(bad) << k;
    EXPECT_NE(bad.error().message.find(k), std::string::npos) << bad.error().message;
  }
}

TEST(BrokerConfig, BadValuesNameTheKey) {
  auto bad = [](properties_map p) {
    p["storePathRootDir"] = "/tmp/x";
    auto c = broker_config_from(p);
    EXPECT_FALSE(c);
    return c ? std::string() : c.error().message;
  };
  EXPECT_NE(bad({{"listenPort", "abc"}}).find("listenPort"), std::string::npos);
  EXPECT_NE(bad({{"listenPort", "70000"}}).find("listenPort"), std::string::npos);
  EXPECT_NE(bad({{"flushDiskType", "SOMETIMES"}}).find("flushDiskType"), std::string::npos);
  EXPECT_NE(bad({{"brokerRole", "BOSS"}}).find("brokerRole"), std::string::npos);
  EXPECT_NE(bad({{"messageDelayLevel", "1x"}}).find("messageDelayLevel"), std::string::npos);
  EXPECT_NE(bad({{"defaultTopicQueueNums", "0"}}).find("defaultTopicQueueNums"), std::string::npos);
}

TEST(Subscription, BuildFromExpression) {
  auto s = subscription_data::build("T", " TagA || TagB ||  ", 7);
  EXPECT_EQ(s.tags_set, (std::set<std::string>{"TagA", "TagB"}));
  EXPECT_TRUE(s.code_set.count(2598919));  // hash("TagA")
  EXPECT_TRUE(s.matches_tags_code(tags_code("TagB")));
  EXPECT_FALSE(s.matches_tags_code(tags_code("TagC")));
  EXPECT_TRUE(subscription_data::build("T", "*", 0).accepts_all());
  EXPECT_TRUE(subscription_data::build("T", "", 0).accepts_all());
  // From heartbeat JSON with tags but no codes: codes are derived.
  auto j = nlohmann::json::parse(R"({"topic":"T","subString":"TagA","tagsSet":["TagA"],"codeSet":[]})");
  auto d = subscription_data::from_json(j);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->matches_tags_code(2598919));
  EXPECT_FALSE(subscription_data::from_json(nlohmann::json::parse(R"({"subString":"*"})")));
}

TEST(TopicConfigManager, BuiltinsAutoCreateAndPersistence) {
  tmp d;
  std::string path = d.path + "/topics.json";
  {
    topic_config_manager m(path, "DefaultCluster", "broker-a");
    std::string err;
    ASSERT_TRUE(m.load(true, 8, true, true, &err)) << err;
    auto tbw = m.find("TBW102");
    ASSERT_TRUE(tbw);
    EXPECT_EQ(tbw->perm, 7);
    bool created = false;
    auto t = m.create_from_default("New", "TBW102", 4, 0, &created);
    ASSERT_TRUE(t);
    EXPECT_TRUE(created);
    EXPECT_EQ(t->write_queue_nums, 4);
    EXPECT_EQ(t->perm, 6);
    EXPECT_FALSE(m.create_from_default("Other", "SELF_TEST_TOPIC", 4, 0, &created));  // no INHERIT
    EXPECT_GT(m.version().counter, 1);
  }
  topic_config_manager again(path, "DefaultCluster", "broker-a");
  std::string err;
  ASSERT_TRUE(again.load(false, 8, true, true, &err));
  ASSERT_TRUE(again.find("New"));
  EXPECT_EQ(again.find("TBW102")->perm & perm::inherit, 0);  // autoCreate off: no more inheriting
  std::string why;
  EXPECT_FALSE(valid_topic_name("a b", &why));
  EXPECT_TRUE(valid_topic_name("%RETRY%g_1-x|y", &why));
}

TEST(TopicConfigManager, ReadsFastjsonUnquotedKeysAndBakFallback) {
  tmp d;
  std::string path = d.path + "/topics.json";
  std::ofstream(path) << "garbage{";
  std::ofstream(path + ".bak")
      << R"({"dataVersion":{"counter":3,"timestamp":1},"topicConfigTable":{"Old":{"order":false,"perm":6,"readQueueNums":2,"topicFilterType":"SINGLE_TAG","topicName":"Old","topicSysFlag":0,"writeQueueNums":2}}})";
  topic_config_manager m(path, "C", "B");
  std::string err;
  ASSERT_TRUE(m.load(true, 8, true, true, &err)) << err;
  ASSERT_TRUE(m.find("Old"));
  EXPECT_EQ(m.find("Old")->read_queue_nums, 2);
}

TEST(ConsumerOffsetManager, PersistAndReload) {
  tmp d;
  std::string path = d.path + "/consumerOffset.json";
  {
    consumer_offset_manager m(path);
    std::string err;
    ASSERT_TRUE(m.load(&err));
    m.commit("g", "t", 0, 15);
    m.commit("g", "t", 3, -1);
    m.persist();
  }
  // A file as the Java broker writes it (unquoted integer keys) reads too.
  std::ofstream(d.path + "/java.json") << R"({"offsetTable":{"TopicTest@cg1":{0:15,1:12}}})";
  consumer_offset_manager j(d.path + "/java.json");
  std::string err;
  ASSERT_TRUE(j.load(&err)) << err;
  EXPECT_EQ(*j.query("cg1", "TopicTest", 1), 12);

  consumer_offset_manager m(path);
  ASSERT_TRUE(m.load(&err));
  EXPECT_EQ(*m.query("g", "t", 0), 15);
  EXPECT_FALSE(m.query("g", "t", 3));  // -1 counts as none
  EXPECT_EQ(m.groups_of_topic("t"), (std::set<std::string>{"g"}));
  m.remove_topic("t");
  EXPECT_FALSE(m.query("g", "t", 0));
}

TEST(SubscriptionGroupManager, AutoCreateAndExplicit) {
  tmp d;
  subscription_group_manager m(d.path + "/sg.json");
  std::string err;
  ASSERT_TRUE(m.load(&err));
  EXPECT_FALSE(m.find("g", false));
  EXPECT_TRUE(m.find("CID_RMQ_SYS_x", false));  // system groups always
  auto g = m.find("g", true);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->retry_max_times, 16);
  EXPECT_TRUE(m.find("TOOLS_CONSUMER", false));
}

TEST(PullHoldService, WakesMatchingRequestsOnly) {
  std::vector<std::string> woken;
  std::mutex mu;
  int64_t max = 0;
  pull_hold_service h(
      [&](held_pull&& p) {
        std::lock_guard l(mu);
        woken.push_back(*p.request.field("id"));
      },
      [&](const std::string&, int32_t) { return max; }, std::chrono::milliseconds(50));
  h.start();
  auto park = [&](const std::string& id, int64_t offset, std::optional<std::string> tag, int64_t timeout_ms) {
    held_pull p;
    p.request.set("id", id);
    p.offset = offset;
    p.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count() +
                    timeout_ms;
    if (tag) p.filter = subscription_data::build("T", *tag, 0);
    h.hold("T", 0, std::move(p));
  };
  park("a", 0, "TagA", 60000);
  park("b", 0, std::nullopt, 60000);
  park("c", 5, std::nullopt, 60000);
  h.notify_arrival("T", 0, 0, tags_code("TagB"));
  {
    std::lock_guard l(mu);
    EXPECT_EQ(woken, (std::vector<std::string>{"b"}));
  }
  EXPECT_EQ(h.held_count(), 2u);
  park("d", 0, std::nullopt, 10);  // times out through the checker
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    std::lock_guard l(mu);
    EXPECT_EQ(woken.back(), "d");
  }
  h.stop();  // answers the rest
  std::lock_guard l(mu);
  EXPECT_EQ(woken.size(), 4u);
}

TEST(RebalanceLockManager, OwnerRelockRefreshes) {
  rebalance_lock_manager m(100);
  message_queue q{"T", "b", 0};
  EXPECT_EQ(m.try_lock_batch("g", {q}, "A", 0).size(), 1u);
  EXPECT_EQ(m.try_lock_batch("g", {q}, "B", 50).size(), 0u);
  EXPECT_EQ(m.try_lock_batch("g", {q}, "A", 90).size(), 1u);   // refresh
  EXPECT_EQ(m.try_lock_batch("g", {q}, "B", 150).size(), 0u);  // still live (90 + 100)
  EXPECT_EQ(m.try_lock_batch("g", {q}, "B", 191).size(), 1u);
}

}  // namespace
}  // namespace mq::broker
