#include "mq/broker/broker_controller.h"

#include <algorithm>
#include <filesystem>

#include "broker_impl.h"
#include "clock.h"
#include "log.h"
#include "mq/common/crc.h"
#include "mq/common/message_const.h"
#include "mq/remoting/json.h"

namespace mq::broker {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;



// ---- impl lifecycle -------------------------------------------------------------

broker_controller::impl::impl(broker_config c) : cfg(std::move(c)) {
  rt.broker_permission = cfg.broker_permission;
  rt.auto_create_topic_enable = cfg.auto_create_topic_enable;
  rt.auto_create_subscription_group = cfg.auto_create_subscription_group;
  rt.default_topic_queue_nums = cfg.default_topic_queue_nums;
  rt.notify_consumer_ids_changed_enable = cfg.notify_consumer_ids_changed_enable;
  rt.long_polling_enable = cfg.long_polling_enable;
  rt.short_polling_time_mills = cfg.short_polling_time_mills;
  rt.trace_on = cfg.trace_on;
  rt.reject_transaction_message = cfg.reject_transaction_message;
}

std::string broker_controller::impl::broker_perm_text() const {
  return "the broker[" + cfg.broker_ip1 + "] ";
}

bool broker_controller::impl::start(std::string* error) {
  boot_ms = now_ms();
  if (!socket_address::parse(cfg.broker_ip1 + ":1")) {
    *error = "brokerIP1 '" + cfg.broker_ip1 + "' is not a numeric IPv4/IPv6 address";
    return false;
  }
  std::error_code ec;
  std::filesystem::create_directories(cfg.store.store_path_root_dir + "/config", ec);
  if (ec) {
    *error = "cannot create " + cfg.store.store_path_root_dir + "/config: " + ec.message();
    return false;
  }
  const std::string conf_dir = cfg.store.store_path_root_dir + "/config/";
  topics = std::make_unique<topic_config_manager>(conf_dir + "topics.json", cfg.broker_cluster_name, cfg.broker_name);
  groups = std::make_unique<subscription_group_manager>(conf_dir + "subscriptionGroup.json");
  offsets = std::make_unique<consumer_offset_manager>(conf_dir + "consumerOffset.json");
  locks = std::make_unique<rebalance_lock_manager>(cfg.rebalance_lock_max_live_time);

  store = store::message_store::open(cfg.store, error);
  if (!store) return false;
  {
    std::vector<int64_t> levels;
    store::parse_delay_levels(cfg.store.message_delay_level, levels);  // validated with the config
    schedule = std::make_unique<schedule_service>(*store, std::move(levels), conf_dir + "delayOffset.json");
  }
  if (!topics->load(cfg.auto_create_topic_enable, cfg.default_topic_queue_nums, cfg.cluster_topic_enable,
                    cfg.broker_topic_enable, error) ||
      !groups->load(error) || !offsets->load(error)) {
    store->shutdown();
    return false;
  }

  hold = std::make_unique<pull_hold_service>(
      [this](held_pull&& p) { rerun_pull(std::move(p)); },
      [this](const std::string& t, int32_t q) { return store->max_offset_in_queue(t, q); },
      std::chrono::milliseconds(cfg.long_polling_enable ? 1000 : std::max<int64_t>(100, cfg.short_polling_time_mills)));
  store->set_arrival_listener([this](const store::arrival& a) {
    hold->notify_arrival(a.topic, a.queue_id, a.queue_offset, a.tags_code);
  });
  hold->start();

  send_pool = std::make_shared<remoting::bounded_executor>("send", cfg.send_message_thread_pool_nums, 10000);
  pull_pool = std::make_shared<remoting::bounded_executor>("pull", cfg.pull_message_thread_pool_nums, 100000);
  client_pool = std::make_shared<remoting::bounded_executor>("client", 4, 50000);
  admin_pool = std::make_shared<remoting::bounded_executor>("admin", cfg.admin_broker_thread_pool_nums, 10000);

  remoting::server_options so;
  so.bind_address = cfg.listen_address;
  so.port = cfg.listen_port;
  so.io_threads = static_cast<size_t>(std::max(1, cfg.server_worker_threads));
  so.idle_timeout = std::chrono::seconds(120);
  so.name = "broker";
  // A frame holds at most one message (or batch) plus headers.
  so.max_frame_size = static_cast<size_t>(cfg.max_message_size) + 1024 * 1024;
  server = std::make_unique<remoting::remoting_server>(so);
  if (cfg.fast_listen_port_enable && cfg.listen_port > 2) {
    so.port = static_cast<uint16_t>(cfg.listen_port - 2);
    so.name = "broker-fast";
    fast_server = std::make_unique<remoting::remoting_server>(so);
  }
  // Every service a processor uses exists before the server accepts its
  // first request (an END_TRANSACTION can arrive at once after a restart).
  store_host = *socket_address::parse(cfg.broker_addr());
  transactions = std::make_unique<transaction_service>(
      *store,
      transaction_options{cfg.transaction_timeout, cfg.transaction_check_max, cfg.transaction_check_interval},
      store_host, [this](const std::string& group) -> channel_ptr {
        for (auto& c : producers.channels(group))
          if (c.ch && c.ch->is_open()) return c.ch;
        return nullptr;
      },
      cfg.store.store_path_root_dir + "/config/transactionCheck.json");
  // A slave's store takes only its master's bytes: no delayed deliveries,
  // no transaction checks (their writes come through replication).
  if (cfg.role != broker_role::slave) transactions->start();  // loads the done set before any END_TRANSACTION
  register_processors();
  if (!server->start(error)) {
    store->shutdown();
    return false;
  }
  cfg.listen_port = server->port();  // listenPort=0 (tests): the port picked
  store_host = *socket_address::parse(cfg.broker_addr());
  transactions->set_store_host(store_host);
  if (fast_server) {
    std::string ferr;
    if (!fast_server->start(&ferr)) {
      log()->warn("fast listen port {} not served: {}", cfg.listen_port - 2, ferr);
      fast_server.reset();
    }
  }
  if (!start_metrics(error)) {
    if (fast_server) fast_server->stop();
    server->stop();
    if (transactions) transactions->stop();
    store->shutdown();
    return false;
  }

  remoting::client_options co;
  co.name = "broker-outer";
  ns_client = std::make_unique<remoting::remoting_client>(co);
  std::string addrs = cfg.namesrv_addr;
  size_t pos = 0;
  while (pos <= addrs.size()) {
    size_t semi = addrs.find(';', pos);
    std::string a = addrs.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
    if (!a.empty()) namesrv_addrs.push_back(a);
    if (semi == std::string::npos) break;
    pos = semi + 1;
  }
  if (namesrv_addrs.empty()) log()->warn("no name server address (-n / namesrvAddr): not registering");
  register_broker_all(true);
  if (cfg.role != broker_role::slave) schedule->start();
  if (cfg.role == broker_role::slave) sync_from_master();
  scheduler_ = std::thread([this] { scheduler_loop(); });
  started_ = true;
  log()->info("broker {} ({}) started on {} (role {}, {}, store {}){}", cfg.broker_name, cfg.broker_cluster_name,
              cfg.broker_addr(), to_string(cfg.role),
              cfg.store.flush_disk == store::flush_disk_type::sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH",
              cfg.store.store_path_root_dir, store->recovered_abnormally() ? ", recovered after a crash" : "");
  return true;
}

void broker_controller::impl::stop(bool graceful) {
  if (stopped_ || !started_) return;
  stopped_ = true;
  {
    std::lock_guard lock(sched_mu_);
    sched_stopping_ = true;
  }
  sched_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (!graceful) {
    if (metrics_http) metrics_http->stop();
    if (fast_server) fast_server->stop();
    server->stop();
    hold->stop();
    schedule->stop(false);  // a crash writes nothing
    if (transactions) transactions->stop();
    for (auto* p : {&send_pool, &pull_pool, &client_pool, &admin_pool}) (*p)->shutdown();
    ns_client->shutdown();
    store->halt_for_test();
    return;
  }
  log()->info("broker {} shutting down", cfg.broker_name);
  // Parked pulls answer now (NO_NEW_MSG), so clients re-pull elsewhere.
  hold->stop();
  if (metrics_http) metrics_http->stop();
  if (fast_server) fast_server->stop();
  server->stop();  // stop accepting; in-flight requests finish; writes drain
  for (auto* p : {&send_pool, &pull_pool, &client_pool, &admin_pool}) (*p)->shutdown();
  unregister_broker_all();
  ns_client->shutdown();
  offsets->persist();
  schedule->stop();  // persists delayOffset.json
  if (transactions) transactions->stop();
  store->shutdown();  // flush, checkpoint, remove abort file
  log()->info("broker {} stopped", cfg.broker_name);
}

void broker_controller::impl::scheduler_loop() {
  using namespace std::chrono;
  int64_t period = std::clamp<int64_t>(cfg.register_name_server_period, 10000, 60000);
  int64_t next_register = steady_ms() + std::min<int64_t>(period, 10000);
  int64_t next_offsets = steady_ms() + cfg.flush_consumer_offset_interval;
  int64_t next_scan = steady_ms() + cfg.client_scan_interval;
  int64_t next_stats = steady_ms() + 1000;
  int64_t next_slave_sync = steady_ms() + cfg.slave_sync_interval;
  std::unique_lock lock(sched_mu_);
  while (!sched_stopping_) {
    sched_cv_.wait_for(lock, milliseconds(100), [&] { return sched_stopping_ || register_pending_; });
    if (sched_stopping_) break;
    bool reg_now = register_pending_;
    register_pending_ = false;
    lock.unlock();
    int64_t now = steady_ms();
    if (reg_now || now >= next_register) {
      register_broker_all(true);
      next_register = now + period;
    }
    if (now >= next_offsets) {
      offsets->persist();
      next_offsets = now + cfg.flush_consumer_offset_interval;
    }
    if (now >= next_scan) {
      int64_t wall = now_ms();
      for (auto& g : consumers.scan_expired(wall, cfg.channel_expired_timeout)) notify_consumer_ids_changed(g);
      producers.scan_expired(wall, cfg.channel_expired_timeout);
      next_scan = now + cfg.client_scan_interval;
    }
    if (cfg.role == broker_role::slave && now >= next_slave_sync) {
      sync_from_master();
      next_slave_sync = now + cfg.slave_sync_interval;
    }
    if (now >= next_stats) {
      uint64_t p = stats.put_msgs.load(), g = stats.get_msgs.load();
      double secs = 1.0 + static_cast<double>(now - next_stats) / 1000.0;
      stats.put_tps = static_cast<double>(p - stats.last_put) / secs;
      stats.get_tps = static_cast<double>(g - stats.last_get) / secs;
      stats.last_put = p;
      stats.last_get = g;
      next_stats = now + 1000;
    }
    lock.lock();
  }
}

void broker_controller::impl::register_broker_all(bool sync) {
  if (namesrv_addrs.empty()) return;
  std::lock_guard serial(register_mu_);
  nlohmann::json wrapper = topics->wrapper_json();
  if (!writeable() || !readable()) {
    // The broker's own permission caps every topic's (BrokerController.registerBrokerAll).
    for (auto& [name, tc] : wrapper["topicConfigTable"].items()) {
      tc["perm"] = tc["perm"].get<int32_t>() & rt.broker_permission.load();
    }
  }
  std::string body = remoting::to_json({{"filterServerList", nlohmann::json::array()},
                                        {"topicConfigSerializeWrapper", std::move(wrapper)}});
  for (auto& addr : namesrv_addrs) {
    auto r = remoting_command::request(req::REGISTER_BROKER);
    r.set("brokerName", cfg.broker_name);
    r.set("brokerAddr", cfg.broker_addr());
    r.set("clusterName", cfg.broker_cluster_name);
    r.set("haServerAddr", cfg.ha_server_addr());
    r.set("brokerId", cfg.broker_id);
    r.set("compressed", "false");
    r.set("bodyCrc32", static_cast<int64_t>(rocketmq_crc32(body)));
    r.body = body;
    if (sync) {
      auto res = ns_client->invoke_sync(addr, std::move(r), std::chrono::milliseconds(cfg.register_broker_timeout_mills));
      if (!res.ok()) {
        log()->warn("register to name server {} failed: {} {}", addr, remoting::to_string(res.error), res.message);
      } else if (res.response.code != rc::SUCCESS) {
        log()->warn("register to name server {} refused: code {} {}", addr, res.response.code,
                    res.response.remark.value_or(""));
      } else {
        log()->debug("registered to name server {}", addr);
        if (cfg.role == broker_role::slave) {
          auto* m = res.response.field("masterAddr");
          auto* ha = res.response.field("haServerAddr");
          if (m && !m->empty()) learn_master(*m, ha ? *ha : "");
        }
      }
    } else {
      ns_client->invoke_async(addr, std::move(r), std::chrono::milliseconds(cfg.register_broker_timeout_mills),
                              [addr](remoting::invoke_result res) {
                                if (!res.ok()) log()->warn("register to name server {} failed: {}", addr, res.message);
                              });
    }
  }
}

void broker_controller::impl::learn_master(const std::string& master_addr, const std::string& ha_addr) {
  {
    std::lock_guard lk(master_mu_);
    if (master_addr_ != master_addr) log()->info("slave {}: master is {} (HA {})", cfg.broker_name, master_addr, ha_addr);
    master_addr_ = master_addr;
  }
  // haMasterAddress in broker.conf wins over what the name server says.
  if (cfg.store.ha_master_address.empty() && !ha_addr.empty()) store->set_ha_master_address(ha_addr);
}

// SlaveSynchronize: topics, consumer offsets, delay offsets and
// subscription groups from the master, every slaveSyncInterval.
void broker_controller::impl::sync_from_master() {
  std::string master;
  {
    std::lock_guard lk(master_mu_);
    master = master_addr_;
  }
  if (master.empty()) return;
  auto fetch = [&](int32_t code, const char* what) -> std::optional<nlohmann::json> {
    auto res = ns_client->invoke_sync(master, remoting_command::request(code), std::chrono::milliseconds(3000));
    if (!res.ok() || res.response.code != rc::SUCCESS) {
      log()->warn("slave sync of {} from master {} failed: {}", what, master,
                  res.ok() ? res.response.remark.value_or("code " + std::to_string(res.response.code)) : res.message);
      return std::nullopt;
    }
    auto j = remoting::parse_lenient(res.response.body);
    if (!j) return std::nullopt;
    return std::optional<nlohmann::json>(std::move(*j));
  };
  int changed = 0;
  if (auto j = fetch(req::GET_ALL_TOPIC_CONFIG, "topics"); j && j->contains("topicConfigTable")) {
    for (auto& [name, tj] : (*j)["topicConfigTable"].items()) {
      auto tc = topic_config::from_json(tj);
      if (!tc) continue;
      auto cur = topics->find(tc->topic_name);
      if (!cur || cur->to_json() != tc->to_json()) {
        topics->update(*tc);
        changed++;
      }
    }
  }
  if (auto j = fetch(req::GET_ALL_CONSUMER_OFFSET, "consumer offsets")) offsets->replace_all(*j);
  if (auto j = fetch(req::GET_ALL_DELAY_OFFSET, "delay offsets")) schedule->replace_offsets(*j);
  if (auto j = fetch(req::GET_ALL_SUBSCRIPTIONGROUP_CONFIG, "subscription groups");
      j && j->contains("subscriptionGroupTable")) {
    for (auto& [name, gj] : (*j)["subscriptionGroupTable"].items()) {
      auto g = subscription_group_config::from_json(gj);
      if (!g || g->group_name.empty()) continue;
      auto cur = groups->find(g->group_name, false);
      if (!cur || cur->to_json() != g->to_json()) groups->update(*g);
    }
  }
  if (changed > 0) {
    log()->info("slave {}: {} topic(s) synced from master {}", cfg.broker_name, changed, master);
    std::lock_guard lk(sched_mu_);
    register_pending_ = true;  // the name server learns the slave's topics
  }
}

void broker_controller::impl::unregister_broker_all() {
  for (auto& addr : namesrv_addrs) {
    auto r = remoting_command::request(req::UNREGISTER_BROKER);
    r.set("brokerName", cfg.broker_name);
    r.set("brokerAddr", cfg.broker_addr());
    r.set("clusterName", cfg.broker_cluster_name);
    r.set("brokerId", cfg.broker_id);
    auto res = ns_client->invoke_sync(addr, std::move(r), std::chrono::milliseconds(3000));
    if (!res.ok()) log()->warn("unregister from name server {} failed: {}", addr, res.message);
    else log()->info("unregistered from name server {}", addr);
  }
}

void broker_controller::impl::notify_consumer_ids_changed(const std::string& group) {
  if (!rt.notify_consumer_ids_changed_enable.load()) return;
  if (auto sg = groups->find(group, false); sg && !sg->notify_consumer_ids_changed_enable) return;
  for (auto& ch : consumers.channels(group)) {
    auto r = remoting_command::request(req::NOTIFY_CONSUMER_IDS_CHANGED);
    r.set("consumerGroup", group);
    ch->invoke_oneway(std::move(r));
  }
}

void broker_controller::impl::on_channel_closed(const channel_ptr& ch) {
  producers.on_channel_closed(ch->id());
  for (auto& g : consumers.on_channel_closed(ch->id())) notify_consumer_ids_changed(g);
}

topic_config broker_controller::impl::retry_topic_for(const std::string& group, const subscription_group_config& sg) {
  bool created = false;
  auto tc = topics->create_if_missing(std::string(mq::retry_group_topic_prefix) + group,
                                      std::max(1, sg.retry_queue_nums), perm::read | perm::write, 0, &created);
  if (created) request_register();
  return tc;
}

void broker_controller::impl::register_processors() {
  auto on = [this](int32_t code, const std::shared_ptr<remoting::bounded_executor>& pool, remoting::processor_fn fn) {
    server->register_processor(code, fn, pool);
    if (fast_server) fast_server->register_processor(code, fn, pool);
  };
  auto bind = [this](response (impl::*m)(const channel_ptr&, remoting_command&)) {
    return [this, m](const channel_ptr& ch, remoting_command& r) { return (this->*m)(ch, r); };
  };
  // Sends never block (the store answers through a callback), so by default
  // they run on the io thread that read them: no thread hop per message.
  auto sends = cfg.send_message_in_io_thread ? nullptr : send_pool;
  on(req::SEND_MESSAGE, sends, bind(&impl::process_send));
  on(req::SEND_MESSAGE_V2, sends, bind(&impl::process_send));
  on(req::SEND_BATCH_MESSAGE, sends, bind(&impl::process_send));
  on(req::PULL_MESSAGE, pull_pool,
     [this](const channel_ptr& ch, remoting_command& r) { return process_pull(ch, r, true); });
  on(req::HEART_BEAT, client_pool, bind(&impl::process_heartbeat));
  on(req::UNREGISTER_CLIENT, client_pool, bind(&impl::process_unregister_client));
  on(req::CHECK_CLIENT_CONFIG, client_pool, bind(&impl::process_check_client_config));
  on(req::CONSUMER_SEND_MSG_BACK, client_pool, bind(&impl::process_send_back));
  on(req::END_TRANSACTION, client_pool, bind(&impl::process_end_transaction));
  on(req::GET_CONSUMER_LIST_BY_GROUP, client_pool, bind(&impl::process_consumer_list));
  on(req::QUERY_CONSUMER_OFFSET, client_pool, bind(&impl::process_query_consumer_offset));
  on(req::UPDATE_CONSUMER_OFFSET, client_pool, bind(&impl::process_update_consumer_offset));
  on(req::LOCK_BATCH_MQ, client_pool, bind(&impl::process_lock_batch));
  on(req::UNLOCK_BATCH_MQ, client_pool, bind(&impl::process_unlock_batch));
  register_admin_processors();
  auto closed = [this](const channel_ptr& ch) { on_channel_closed(ch); };
  server->on_channel_closed(closed);
  if (fast_server) fast_server->on_channel_closed(closed);
}

// ---- broker_controller ----------------------------------------------------------

broker_controller::broker_controller(broker_config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}
broker_controller::~broker_controller() { stop(); }
bool broker_controller::start(std::string* error) { return impl_->start(error); }
void broker_controller::stop() { impl_->stop(true); }
void broker_controller::halt_for_test() { impl_->stop(false); }
uint16_t broker_controller::port() const { return impl_->server ? impl_->server->port() : 0; }
uint16_t broker_controller::metrics_port() const { return impl_->metrics_http ? impl_->metrics_http->port() : 0; }
std::string broker_controller::broker_addr() const { return impl_->cfg.broker_addr(); }
const broker_config& broker_controller::config() const { return impl_->cfg; }
store::message_store& broker_controller::message_store() { return *impl_->store; }
void broker_controller::register_broker_all() { impl_->register_broker_all(true); }

}  // namespace mq::broker
