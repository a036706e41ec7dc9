// The admin client: what mqadmin and the console need (RocketMQ's
// DefaultMQAdminExt), over the same protocol as everything else.
//
//   mq::client::admin_client a({.namesrv_addr = "127.0.0.1:9876"});
//   a.start();
//   a.create_topic_in_cluster("DefaultCluster", {.name = "orderTopic", .read_queue_nums = 8, .write_queue_nums = 8});
//   auto p = a.consumer_progress("order_group");   // lag per queue
//
// Every call blocks for at most the request timeout per broker asked.
// Thread-safety: all members may be called from any thread after start().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mq/client/client_options.h"
#include "mq/client/topic_route.h"
#include "mq/common/message.h"
#include "mq/common/result.h"
#include "mq/remoting/remoting_command.h"

namespace mq::client {

struct topic_config {
  std::string name;
  int32_t read_queue_nums = 8;
  int32_t write_queue_nums = 8;
  int32_t perm = 6;  // PermName: 4 read, 2 write
  bool order = false;
};

// GET_BROKER_CLUSTER_INFO.
struct cluster_info {
  std::map<std::string, broker_data> brokers;                  // by broker name
  std::map<std::string, std::vector<std::string>> clusters;   // cluster -> broker names
};

struct queue_stat {
  message_queue queue;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_timestamp = 0;
};

struct consume_stats_row {
  message_queue queue;
  int64_t broker_offset = 0;    // the queue's max offset
  int64_t consumer_offset = 0;  // the group's committed offset
  int64_t last_timestamp = 0;   // store time of the last consumed message
  int64_t lag() const { return broker_offset > consumer_offset ? broker_offset - consumer_offset : 0; }
};

struct consume_stats {
  std::vector<consume_stats_row> rows;  // sorted by queue
  double consume_tps = 0;
  int64_t total_lag() const;
};

struct connection_info {
  std::string client_id;
  std::string client_addr;
  std::string language;
  int32_t version = 0;
};

struct consumer_connection {
  std::vector<connection_info> connections;
  std::string consume_type;
  std::string message_model;
  std::string consume_from_where;
  std::map<std::string, std::string> subscriptions;  // topic -> expression
};

struct subscription_group_config {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
};

class admin_client {
 public:
  explicit admin_client(client_options opts);
  ~admin_client();
  admin_client(const admin_client&) = delete;
  admin_client& operator=(const admin_client&) = delete;

  status start();
  void shutdown();

  // ---- name server ----
  result<cluster_info> cluster();
  result<std::vector<std::string>> topic_list();
  result<topic_route> route(const std::string& topic);

  // ---- topics ----
  // On one broker (address "ip:port").
  status create_topic(const std::string& broker_addr, const topic_config& t);
  // On every master of the cluster. Errors: not_found for an unknown cluster.
  status create_topic_in_cluster(const std::string& cluster_name, const topic_config& t);
  // From every master of the cluster, then from the name servers.
  status delete_topic(const std::string& cluster_name, const std::string& topic);
  // Min/max offsets of every queue (every broker of the route).
  result<std::vector<queue_stat>> topic_stats(const std::string& topic);

  // ---- consumers ----
  // Per queue: broker offset, committed offset, lag. `topic` empty = all
  // topics the group consumes (retry topic included).
  result<consume_stats> consumer_progress(const std::string& group, const std::string& topic = "");
  result<consumer_connection> consumer_connections(const std::string& group);
  // Sets the group's committed offset of every queue of `topic` to the
  // first message stored at or after `timestamp_ms`. Running consumers of
  // the group keep their in-memory positions and overwrite this with their
  // next commit: stop them first. Returns the new offsets.
  result<std::map<message_queue, int64_t>> reset_offset_by_time(const std::string& group, const std::string& topic,
                                                                  int64_t timestamp_ms);
  status create_subscription_group(const std::string& cluster_name, const subscription_group_config& c);
  status delete_subscription_group(const std::string& cluster_name, const std::string& group);
  result<std::vector<subscription_group_config>> subscription_groups(const std::string& broker_addr);

  // ---- messages ----
  // QUERY_MESSAGE by KEYS on every broker of the topic, within [begin, end] ms.
  result<std::vector<message_ext>> query_message_by_key(const std::string& topic, const std::string& key,
                                                        int max_num, int64_t begin_ms, int64_t end_ms);
  // By UNIQ_KEY (the producer's msgId).
  result<std::vector<message_ext>> query_message_by_unique_key(const std::string& topic, const std::string& uniq_key);
  // By offsetMsgId (the broker's id: store host + commit-log offset).
  result<message_ext> view_message(const std::string& offset_msg_id);
  // The message at `offset` of queue `q`.
  result<message_ext> message_at(const message_queue& q, int64_t offset);
  // Messages of `topic` stored within [begin_ms, end_ms], at most `max`
  // (queue by queue, oldest first in each queue).
  result<std::vector<message_ext>> query_messages_by_time(const std::string& topic, int64_t begin_ms, int64_t end_ms,
                                                          int max);
  // The messages of queue `q` from `offset`, at most `max` (one pull; fewer
  // when the queue ends). Empty past the end.
  result<std::vector<message_ext>> messages_from(const message_queue& q, int64_t offset, int max);

  // Resends dead letters of `group` (%DLQ%<group>) to their original topic
  // (the RETRY_TOPIC property), as new messages with the same body, tags,
  // keys and UNIQ_KEY (so idempotent consumers still dedupe) and the retry
  // bookkeeping removed. `offset_msg_id` names one dead letter; empty = every
  // dead letter from queue offset `from_offset`. Returns how many were resent.
  // Errors: not_found (no such DLQ or message), the producer's send errors.
  result<int> resend_dlq(const std::string& group, const std::string& offset_msg_id = "", int64_t from_offset = 0);

  // ---- brokers ----
  result<std::map<std::string, std::string>> broker_runtime_info(const std::string& broker_addr);

  // ---- raw requests (mqadmin's less common commands) ----
  // One request to `addr` (a broker or a name server); the response
  // whatever its code. Errors: the transport's (unreachable, timeout).
  result<remoting::remoting_command> call(const std::string& addr, remoting::remoting_command req);
  // The name server addresses this client was given.
  std::vector<std::string> namesrv_addrs() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mq::client
