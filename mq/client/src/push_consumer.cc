#include "mq/client/push_consumer.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <variant>

#include <nlohmann/json.hpp>

#include "client_instance.h"
#include "consumer_core.h"
#include "log.h"
#include "mq/client/producer.h"
#include "mq/common/message_const.h"
#include "mq/remoting/executor.h"
#include "mq/remoting/json.h"
#include "offset_store.h"
#include "process_queue.h"

namespace mq::client {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;
using std::chrono::milliseconds;

std::vector<message_queue> allocate(allocate_strategy s, const std::string& cid, const std::vector<message_queue>& all,
                                    const std::vector<std::string>& cids) {
  std::vector<message_queue> out;
  auto it = std::find(cids.begin(), cids.end(), cid);
  if (it == cids.end() || all.empty()) return out;
  size_t i = static_cast<size_t>(it - cids.begin()), n = all.size(), c = cids.size();
  if (s == allocate_strategy::AVERAGELY_BY_CIRCLE) {
    for (size_t k = i; k < n; k += c) out.push_back(all[k]);
    return out;
  }
  size_t mod = n % c;
  size_t avg = n <= c ? 1 : (mod > 0 && i < mod ? n / c + 1 : n / c);
  size_t start = (mod > 0 && i < mod) ? i * avg : i * avg + mod;
  size_t take = start >= n ? 0 : std::min(avg, n - start);
  for (size_t k = 0; k < take; ++k) out.push_back(all[(start + k) % n]);
  return out;
}

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

constexpr milliseconds pull_delay_on_error{3000};
constexpr milliseconds pull_delay_on_flow_control{50};
constexpr milliseconds reconsume_later_delay{5000};
constexpr int64_t lock_max_live_ms = 30000;  // Java REBALANCE_LOCK_MAX_LIVE_TIME

struct pull_request {
  message_queue mq;
  int64_t next_offset = 0;
  std::shared_ptr<process_queue> pq;
  int64_t broker_id = 0;  // where the broker suggested to pull next (0 = master)
};

}  // namespace

struct push_consumer::impl {
  consumer_options opts;
  std::unique_ptr<client_instance> inst;
  std::unique_ptr<offset_store> offsets;
  std::unique_ptr<producer> inner_producer;  // send-back fallback and orderly DLQ
  std::unique_ptr<timer_thread> rebalancer;  // rebalance, locks: slow network work
  std::unique_ptr<remoting::bounded_executor> consume_pool;
  std::variant<std::monostate, concurrent_listener, orderly_listener> listener;

  mutable std::mutex mu;
  std::map<std::string, subscription> subs;                                // GUARDED_BY(mu)
  std::map<message_queue, std::shared_ptr<process_queue>> pqs;             // GUARDED_BY(mu)
  std::atomic<bool> running{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> started{false};
  std::atomic<int64_t> last_pull_error_log{0};
  std::atomic<int64_t> started_ms{0};

  explicit impl(consumer_options o) : opts(std::move(o)) {}

  bool orderly() const { return std::holds_alternative<orderly_listener>(listener); }
  bool clustering() const { return opts.model == message_model::CLUSTERING; }
  int max_reconsume() const { return effective_max_reconsume(opts.max_reconsume_times); }
  std::string retry_topic() const { return std::string(retry_group_topic_prefix) + opts.group; }

  std::vector<subscription> subscriptions() const {
    std::lock_guard lk(mu);
    std::vector<subscription> out;
    for (auto& [_, s] : subs) out.push_back(s);
    return out;
  }
  std::optional<subscription> subscription_of(const std::string& topic) const {
    std::lock_guard lk(mu);
    auto it = subs.find(topic);
    if (it == subs.end()) return std::nullopt;
    return it->second;
  }
  std::set<message_queue> held_queues() const {
    std::lock_guard lk(mu);
    std::set<message_queue> out;
    for (auto& [q, _] : pqs) out.insert(q);
    return out;
  }

  // ---- pulling ----
  void pull_later(std::shared_ptr<pull_request> pr, milliseconds delay) {
    if (!running) return;
    inst->timer().post_after(delay, [this, pr] { pull(pr); });
  }

  void log_pull_error(const pull_request& pr, const std::string& what) {
    int64_t now = now_ms();
    int64_t last = last_pull_error_log.load();
    if (now - last < 5000 || !last_pull_error_log.compare_exchange_strong(last, now)) return;
    log()->warn("group {}: pull of {} at {} failed: {}", opts.group, pr.mq.to_string(), pr.next_offset, what);
  }

  void pull(std::shared_ptr<pull_request> pr) {
    if (!running || pr->pq->dropped) return;
    auto& pq = *pr->pq;
    if (pq.count() > opts.pull_threshold_for_queue ||
        pq.bytes() > opts.pull_threshold_size_for_queue_mib * 1024 * 1024 ||
        (!orderly() && pq.span() > opts.consume_concurrently_max_span)) {
      return pull_later(pr, pull_delay_on_flow_control);
    }
    if (orderly() && clustering() && !pq.locked) return pull_later(pr, pull_delay_on_error);
    auto sub = subscription_of(pr->mq.topic);
    if (!sub) return;  // unsubscribed; rebalance drops the queue
    // The suggested broker of the group, else its master, else any slave
    // (a master that is down: consumers go on from its slaves).
    auto addr = inst->addr_of(pr->mq.broker_name, pr->broker_id);
    if (addr.empty()) addr = inst->master_addr(pr->mq.broker_name);
    if (addr.empty()) addr = inst->any_addr(pr->mq.broker_name);
    if (addr.empty()) {
      log_pull_error(*pr, "no address for broker " + pr->mq.broker_name);
      return pull_later(pr, pull_delay_on_error);
    }
    int64_t commit = clustering() ? offsets->read(pr->mq, false) : 0;
    auto request =
        make_pull_request(opts.group, pr->mq, pr->next_offset, opts.pull_batch_size, commit, opts.broker_suspend_max_time, *sub);
    auto timeout = opts.broker_suspend_max_time + milliseconds(15000);
    inst->net().invoke_async(addr, std::move(request), timeout,
                             [this, pr, sub = *sub](remoting::invoke_result ir) { on_pull(pr, sub, ir); });
  }

  void on_pull(const std::shared_ptr<pull_request>& pr, const subscription& sub, remoting::invoke_result& ir) {
    if (!running || pr->pq->dropped) return;
    if (!ir.ok()) {
      log_pull_error(*pr, std::string(remoting::to_string(ir.error)) + " " + ir.message);
      return pull_later(pr, pull_delay_on_error);
    }
    auto out = parse_pull_response(ir.response, sub, opts.group);
    if (auto* s = ir.response.field("suggestWhichBrokerId")) pr->broker_id = std::atoll(s->c_str());
    switch (out.code) {
      case rc::SUCCESS: {
        pr->next_offset = out.next_begin_offset;
        if (out.msgs.empty()) {
          correct_offset(*pr);
        } else {
          std::vector<message_ext> copy = out.msgs;
          pr->pq->put(std::move(out.msgs));
          submit(pr->pq, pr->mq, std::move(copy));
        }
        if (opts.pull_interval.count() > 0) return pull_later(pr, opts.pull_interval);
        return pull(pr);
      }
      case rc::PULL_NOT_FOUND:
      case rc::PULL_RETRY_IMMEDIATELY:
        if (out.next_begin_offset >= 0) pr->next_offset = out.next_begin_offset;
        correct_offset(*pr);
        return pull(pr);
      case rc::PULL_OFFSET_MOVED:
        log()->warn("group {}: offset {} of {} is illegal, moving to {}", opts.group, pr->next_offset,
                    pr->mq.to_string(), out.next_begin_offset);
        pr->next_offset = out.next_begin_offset;
        if (pr->pq->empty()) offsets->update(pr->mq, pr->next_offset, false);
        return pull_later(pr, milliseconds(100));
      default:
        log_pull_error(*pr, "code " + std::to_string(out.code) + " " + out.error);
        return pull_later(pr, pull_delay_on_error);
    }
  }

  // Nothing cached: the pull position is also the committed position
  // (filtered-out messages are skipped for good; Java correctTagsOffset).
  void correct_offset(const pull_request& pr) {
    if (pr.pq->empty()) offsets->update(pr.mq, pr.next_offset, true);
  }

  // ---- consuming ----
  void submit(const std::shared_ptr<process_queue>& pq, const message_queue& mq, std::vector<message_ext> msgs) {
    if (orderly()) return submit_orderly(pq, mq);
    size_t batch = std::max<size_t>(1, opts.consume_message_batch_max_size);
    for (size_t i = 0; i < msgs.size(); i += batch) {
      std::vector<message_ext> chunk(std::make_move_iterator(msgs.begin() + i),
                                     std::make_move_iterator(msgs.begin() + std::min(msgs.size(), i + batch)));
      submit_chunk(pq, mq, std::move(chunk));
    }
  }

  void submit_chunk(const std::shared_ptr<process_queue>& pq, const message_queue& mq, std::vector<message_ext> chunk) {
    auto task = [this, pq, mq, chunk = std::move(chunk)]() mutable { consume_concurrently(pq, mq, std::move(chunk)); };
    if (!consume_pool->try_submit(std::move(task)) && running)
      log()->error("group {}: consume pool refused a task of {}", opts.group, mq.to_string());
  }

  void consume_concurrently(const std::shared_ptr<process_queue>& pq, const message_queue& mq,
                            std::vector<message_ext> msgs) {
    if (pq->dropped || stopping) return;
    consume_context ctx{mq, 0};
    consume_status st = consume_status::RECONSUME_LATER;
    try {
      st = std::get<concurrent_listener>(listener)(msgs, ctx);
    } catch (const std::exception& e) {
      log()->warn("group {}: listener threw on {} (msgId {}): {}", opts.group, mq.to_string(), msgs.front().msg_id,
                  e.what());
    } catch (...) {
      log()->warn("group {}: listener threw on {}", opts.group, mq.to_string());
    }
    if (pq->dropped) return;  // the queue moved to another consumer; it will be consumed there
    std::vector<int64_t> done;
    std::vector<message_ext> again;
    for (auto& m : msgs) {
      if (st == consume_status::CONSUME_SUCCESS) {
        done.push_back(m.queue_offset);
        continue;
      }
      if (!clustering()) {
        log()->warn("group {}: broadcasting message {} failed and is dropped (no retries in broadcasting)",
                    opts.group, m.msg_id);
        done.push_back(m.queue_offset);
        continue;
      }
      if (send_message_back(m, ctx.delay_level_when_next_consume, mq)) {
        done.push_back(m.queue_offset);
      } else {
        m.reconsume_times++;
        again.push_back(m);
      }
    }
    int64_t off = pq->remove(done);
    if (off >= 0 && !pq->dropped) offsets->update(mq, off, true);
    if (!again.empty()) {
      log()->warn("group {}: {} message(s) of {} could not be sent back; consuming them again locally in 5 s",
                  opts.group, again.size(), mq.to_string());
      inst->timer().post_after(reconsume_later_delay, [this, pq, mq, again]() mutable {
        if (running) submit_chunk(pq, mq, std::move(again));
      });
    }
  }

  // CONSUMER_SEND_MSG_BACK; else the Java fallback: produce to %RETRY%<group>.
  bool send_message_back(const message_ext& m, int delay_level, const message_queue& mq) {
    auto st = send_back(*inst, opts.group, mq.broker_name, m, delay_level, max_reconsume());
    if (st.ok()) {
      log()->info("group {}: message {} sent back (reconsume times {})", opts.group, m.msg_id, m.reconsume_times);
      return true;
    }
    log()->warn("group {}: send back of {} failed ({}); producing it to {}", opts.group, m.msg_id, st.message,
                retry_topic());
    auto r = inner_producer->send(retry_message(m, m.reconsume_times + 1, 3 + m.reconsume_times));
    if (!r) log()->warn("group {}: producing {} to {} failed: {}", opts.group, m.msg_id, retry_topic(), r.error().message);
    return r.ok();
  }

  message retry_message(const message_ext& m, int reconsume_times, int delay) const {
    message out;
    out.topic = retry_topic();
    out.flag = m.flag;
    out.body = m.body;
    out.properties = m.properties;
    out.remove_property(property_min_offset);
    out.remove_property(property_max_offset);
    if (!out.property(property_origin_message_id))
      out.put_property(std::string(property_origin_message_id), m.msg_id);
    out.put_property(std::string(property_retry_topic), m.topic);
    out.put_property(std::string(property_reconsume_time), std::to_string(reconsume_times));
    out.put_property(std::string(property_max_reconsume_times), std::to_string(max_reconsume()));
    if (delay > 0) out.set_delay_level(delay);
    else out.remove_property(property_delay_time_level);
    return out;
  }

  // Orderly: at most one task per queue is queued, running or waiting to
  // resume (`scheduled`); pulls add messages without dispatching while it is
  // set, so a suspended queue stays suspended (Java ProcessQueue.consuming).
  void submit_orderly(const std::shared_ptr<process_queue>& pq, const message_queue& mq) {
    if (pq->scheduled.exchange(true)) return;
    run_orderly(pq, mq);
  }

  // Submit the queue's task; `scheduled` is already set by the caller.
  void run_orderly(const std::shared_ptr<process_queue>& pq, const message_queue& mq) {
    if (!consume_pool->try_submit([this, pq, mq] { consume_orderly(pq, mq); })) {
      pq->scheduled = false;
      if (running) log()->error("group {}: consume pool refused {}", opts.group, mq.to_string());
    }
  }

  void consume_orderly_later(const std::shared_ptr<process_queue>& pq, const message_queue& mq, milliseconds delay,
                             bool relock) {
    bool posted = inst->timer().post_after(delay, [this, pq, mq, relock] {
      if (!running || pq->dropped) {
        pq->scheduled = false;
        return;
      }
      if (relock) {
        // Locking is a network call: do it on the rebalance thread.
        bool ok = rebalancer->post_after(milliseconds(0), [this, pq, mq] {
          if (running && !pq->dropped) lock({mq});
          run_orderly(pq, mq);
        });
        if (!ok) pq->scheduled = false;
        return;
      }
      run_orderly(pq, mq);
    });
    if (!posted) pq->scheduled = false;
  }

  void consume_orderly(const std::shared_ptr<process_queue>& pq, const message_queue& mq) {
    std::lock_guard consume_lock(pq->consume_mu);
    size_t batch = std::max<size_t>(1, opts.consume_message_batch_max_size);
    while (true) {
      if (pq->dropped || stopping) {
        pq->scheduled = false;
        return;
      }
      if (clustering() && (!pq->locked || now_ms() - pq->last_lock_ms > lock_max_live_ms)) {
        return consume_orderly_later(pq, mq, milliseconds(100), true);
      }
      auto msgs = pq->take(batch);
      if (msgs.empty()) {
        pq->scheduled = false;
        // A pull may have added messages after take() and seen `scheduled`.
        if (pq->empty() || pq->scheduled.exchange(true)) return;
        continue;
      }
      consume_context ctx{mq, 0};
      consume_orderly_status st = consume_orderly_status::SUSPEND_CURRENT_QUEUE_A_MOMENT;
      try {
        st = std::get<orderly_listener>(listener)(msgs, ctx);
      } catch (const std::exception& e) {
        log()->warn("group {}: orderly listener threw on {}: {}", opts.group, mq.to_string(), e.what());
      }
      if (pq->dropped) {
        pq->scheduled = false;
        return;
      }
      if (st == consume_orderly_status::SUCCESS) {
        int64_t off = pq->commit();
        offsets->update(mq, off, false);
        continue;
      }
      // Suspend: retry the same messages in place, unless they have used up
      // their reconsume times, in which case they go to the DLQ.
      std::vector<message_ext> keep;
      for (auto& m : msgs) {
        if (m.reconsume_times >= max_reconsume()) {
          auto r = clustering() ? inner_producer->send(retry_message(m, m.reconsume_times, 3 + m.reconsume_times))
                                : result<send_result>(status::error(errc::unsupported, "broadcasting"));
          if (r) {
            log()->warn("group {}: orderly message {} of {} failed {} times; sent to the DLQ", opts.group, m.msg_id,
                        mq.to_string(), m.reconsume_times);
            continue;
          }
        }
        m.reconsume_times++;
        keep.push_back(m);
      }
      if (keep.empty()) {
        int64_t off = pq->commit();
        offsets->update(mq, off, false);
        continue;
      }
      pq->rollback(keep);
      return consume_orderly_later(pq, mq, opts.suspend_current_queue_time, false);
    }
  }

  // ---- locks (orderly, clustering) ----
  // LOCK_BATCH_MQ per broker; returns the queues now held.
  std::set<message_queue> lock(const std::vector<message_queue>& mqs) {
    std::map<std::string, std::vector<message_queue>> by_broker;
    for (auto& q : mqs) by_broker[q.broker_name].push_back(q);
    std::set<message_queue> ok;
    for (auto& [broker, qs] : by_broker) {
      nlohmann::json set = nlohmann::json::array();
      for (auto& q : qs) set.push_back(to_json(q));
      auto r = remoting_command::request(req::LOCK_BATCH_MQ);
      r.body = remoting::to_json({{"clientId", inst->client_id()}, {"consumerGroup", opts.group}, {"mqSet", set}});
      auto resp = inst->call(inst->master_addr(broker), std::move(r), inst->options().request_timeout);
      if (!resp || resp->code != rc::SUCCESS) {
        log()->warn("group {}: lock on {} failed: {}", opts.group, broker,
                    resp ? response_error(*resp, "lock").message : resp.error().message);
        continue;
      }
      auto j = remoting::parse_lenient(resp->body);
      if (j && j->contains("lockOKMQSet") && (*j)["lockOKMQSet"].is_array())
        for (auto& v : (*j)["lockOKMQSet"])
          if (auto q = mq_from_json(v)) ok.insert(*q);
    }
    std::lock_guard lk(mu);
    for (auto& q : mqs) {
      auto it = pqs.find(q);
      if (it == pqs.end()) continue;
      bool held = ok.contains(q);
      if (held) it->second->last_lock_ms = now_ms();
      if (it->second->locked.exchange(held) != held)
        log()->info("group {}: {} {}", opts.group, held ? "locked" : "lost the lock of", q.to_string());
    }
    return ok;
  }

  void unlock(const std::vector<message_queue>& mqs) {
    std::map<std::string, std::vector<message_queue>> by_broker;
    for (auto& q : mqs) by_broker[q.broker_name].push_back(q);
    for (auto& [broker, qs] : by_broker) {
      nlohmann::json set = nlohmann::json::array();
      for (auto& q : qs) set.push_back(to_json(q));
      auto r = remoting_command::request(req::UNLOCK_BATCH_MQ);
      r.body = remoting::to_json({{"clientId", inst->client_id()}, {"consumerGroup", opts.group}, {"mqSet", set}});
      auto resp = inst->call(inst->master_addr(broker), std::move(r), inst->options().request_timeout);
      if (!resp) log()->debug("group {}: unlock on {} failed: {}", opts.group, broker, resp.error().message);
    }
  }

  void lock_all() {
    auto qs = held_queues();
    if (!qs.empty()) lock({qs.begin(), qs.end()});
  }

  // ---- rebalance ----
  void rebalance() {
    if (!running) return;
    for (auto& s : subscriptions()) {
      auto route = inst->route(s.topic);
      if (!route) {
        if (route.error().code != errc::closed)
          log()->debug("group {}: no route for {}: {}", opts.group, s.topic, route.error().message);
        continue;
      }
      auto all = route->subscribe_queues(s.topic);
      std::vector<message_queue> mine;
      if (clustering()) {
        auto cids = consumer_ids(*inst, opts.group, s.topic);
        if (!cids) {
          log()->debug("group {}: consumer list for {} failed: {}", opts.group, s.topic, cids.error().message);
          continue;
        }
        mine = allocate(opts.allocation, inst->client_id(), all, *cids);
      } else {
        mine = all;
      }
      update_queues(s.topic, mine);
    }
    // Topics no longer subscribed.
    std::vector<message_queue> gone;
    {
      std::lock_guard lk(mu);
      for (auto& [q, _] : pqs)
        if (!subs.contains(q.topic)) gone.push_back(q);
    }
    for (auto& q : gone) drop_queue(q);
  }

  void drop_queue(const message_queue& q) {
    std::shared_ptr<process_queue> pq;
    {
      std::lock_guard lk(mu);
      auto it = pqs.find(q);
      if (it == pqs.end()) return;
      pq = it->second;
      pqs.erase(it);
    }
    pq->dropped = true;
    offsets->persist({q}, true);
    if (orderly() && clustering()) {
      // Wait (briefly) for an in-flight orderly batch before giving the lock up.
      std::unique_lock consume_lock(pq->consume_mu, std::defer_lock);
      for (int i = 0; i < 100 && !consume_lock.try_lock(); ++i) std::this_thread::sleep_for(milliseconds(10));
      unlock({q});
    }
    if (clustering()) offsets->remove(q);
    log()->info("group {}: dropped {}", opts.group, q.to_string());
  }

  void update_queues(const std::string& topic, const std::vector<message_queue>& mine) {
    std::set<message_queue> want(mine.begin(), mine.end());
    std::vector<message_queue> remove;
    std::vector<message_queue> add;
    {
      std::lock_guard lk(mu);
      for (auto& [q, _] : pqs)
        if (q.topic == topic && !want.contains(q)) remove.push_back(q);
      for (auto& q : want)
        if (!pqs.contains(q)) add.push_back(q);
    }
    for (auto& q : remove) drop_queue(q);
    if (add.empty()) return;
    std::set<message_queue> locked;
    if (orderly() && clustering()) {
      // Lock the new queues before consuming them (the pqs are not
      // registered yet, so lock() only reports).
      locked = lock(add);
    }
    for (auto& q : add) {
      if (orderly() && clustering() && !locked.contains(q)) {
        log()->info("group {}: {} is locked by another client; will retry", opts.group, q.to_string());
        continue;
      }
      // A cached broker offset may be stale (another client moved it on);
      // a local (broadcasting) offset is ours and stays.
      if (clustering()) offsets->remove(q);
      auto start = compute_start_offset(*inst, *offsets, q, opts.from_where, opts.consume_timestamp);
      if (!start) {
        log()->warn("group {}: cannot find where to start {}: {}", opts.group, q.to_string(), start.error().message);
        continue;
      }
      auto pr = std::make_shared<pull_request>();
      pr->mq = q;
      pr->next_offset = *start;
      pr->pq = std::make_shared<process_queue>();
      if (orderly() && clustering()) {
        pr->pq->locked = true;
        pr->pq->last_lock_ms = now_ms();
      }
      offsets->update(q, *start, false);
      {
        std::lock_guard lk(mu);
        if (!running) return;
        pqs[q] = pr->pq;
      }
      log()->info("group {}: now consuming {} from offset {}", opts.group, q.to_string(), *start);
      pull(pr);
    }
  }

  void persist(bool wait = false) {
    auto qs = held_queues();
    offsets->persist(qs, wait);
  }
};

// ---- push_consumer ------------------------------------------------------------------

push_consumer::push_consumer(consumer_options opts) : impl_(std::make_shared<impl>(std::move(opts))) {
  impl_->inst = std::make_unique<client_instance>(impl_->opts);
  impl* self = impl_.get();
  // NOTIFY_CONSUMER_IDS_CHANGED (oneway): rebalance at once, off the io thread.
  impl_->inst->net().register_processor(
      req::NOTIFY_CONSUMER_IDS_CHANGED,
      [self](const remoting::channel_ptr& ch, remoting_command&) -> std::optional<remoting_command> {
        log()->info("group {}: consumer ids changed (notified by {}); rebalancing", self->opts.group,
                    ch->remote_address());
        if (self->running && self->rebalancer) self->rebalancer->post_after(milliseconds(0), [self] { self->rebalance(); });
        return std::nullopt;
      },
      nullptr);
  // GET_CONSUMER_RUNNING_INFO (relayed by a broker for mqadmin
  // consumerStatus): ConsumerRunningInfo's properties, subscriptionSet and
  // mqTable (one ProcessQueueInfo per held queue).
  impl_->inst->net().register_processor(
      req::GET_CONSUMER_RUNNING_INFO,
      [self](const remoting::channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
        nlohmann::json subs = nlohmann::json::array(), table = nlohmann::json::object();
        for (auto& s : self->subscriptions())
          subs.push_back({{"topic", s.topic}, {"subString", s.expression}, {"expressionType", s.type}});
        std::map<message_queue, std::shared_ptr<process_queue>> pqs;
        {
          std::lock_guard lk(self->mu);
          pqs = self->pqs;
        }
        for (auto& [q, pq] : pqs) {
          nlohmann::json key{{"brokerName", q.broker_name}, {"queueId", q.queue_id}, {"topic", q.topic}};
          table[key.dump()] = {{"commitOffset", self->offsets ? self->offsets->read(q, false) : -1},
                               {"cachedMsgCount", pq->count()},
                               {"cachedMsgSizeInMiB", static_cast<int64_t>(pq->bytes() >> 20)},
                               {"locked", pq->locked.load()},
                               {"droped", pq->dropped.load()}};
        }
        nlohmann::json props{{"consumerGroup", self->opts.group},
                             {"messageModel", to_string(self->opts.model)},
                             {"consumeType", "CONSUME_PASSIVELY"},
                             {"consumeOrderly", self->orderly() ? "true" : "false"},
                             {"consumeFromWhere", to_string(self->opts.from_where)},
                             {"consumeThreadMax", std::to_string(self->opts.consume_thread_count)},
                             {"pullBatchSize", std::to_string(self->opts.pull_batch_size)},
                             {"PROP_CLIENT_VERSION", "V4_9_8"},
                             {"PROP_CONSUMER_START_TIMESTAMP", std::to_string(self->started_ms.load())}};
        auto resp = remoting_command::response_to(r, rc::SUCCESS);
        resp.body = remoting::to_json({{"properties", props}, {"subscriptionSet", subs}, {"mqTable", table},
                                       {"statusTable", nlohmann::json::object()}, {"jstack", ""}});
        return resp;
      },
      nullptr);
  // GET_CONSUMER_STATUS_FROM_CLIENT (a broker asking for mqadmin
  // getConsumerStatus): the offsets this client holds for the topic.
  impl_->inst->net().register_processor(
      req::GET_CONSUMER_STATUS_FROM_CLIENT,
      [self](const remoting::channel_ptr&, remoting_command& r) -> std::optional<remoting_command> {
        const std::string* topic = r.field("topic");
        nlohmann::json table = nlohmann::json::object();
        std::vector<message_queue> held;
        {
          std::lock_guard lk(self->mu);
          for (auto& [q, pq] : self->pqs)
            if (!topic || topic->empty() || q.topic == *topic) held.push_back(q);
        }
        for (auto& q : held) {
          nlohmann::json key{{"brokerName", q.broker_name}, {"queueId", q.queue_id}, {"topic", q.topic}};
          table[key.dump()] = self->offsets ? self->offsets->read(q, false) : -1;
        }
        auto resp = remoting_command::response_to(r, rc::SUCCESS);
        resp.body = remoting::to_json({{"messageQueueTable", table}});
        return resp;
      },
      nullptr);
}

push_consumer::~push_consumer() { shutdown(); }

status push_consumer::subscribe(const std::string& topic, const std::string& tag_expression) {
  auto s = make_tag_subscription(topic, tag_expression);
  if (!s) return s.error();
  std::lock_guard lk(impl_->mu);
  impl_->subs[topic] = std::move(*s);
  return status::success();
}

status push_consumer::subscribe_sql(const std::string& topic, const std::string& sql) {
  if (topic.empty()) return status::error(errc::invalid_argument, "subscription topic is empty");
  if (sql.empty()) return status::error(errc::invalid_argument, "empty SQL92 expression");
  std::lock_guard lk(impl_->mu);
  impl_->subs[topic] = make_sql_subscription(topic, sql);
  return status::success();
}

void push_consumer::unsubscribe(const std::string& topic) {
  {
    std::lock_guard lk(impl_->mu);
    impl_->subs.erase(topic);
  }
  if (impl_->running) {
    impl_->inst->send_heartbeat();
    rebalance_now();
  }
}

void push_consumer::register_listener(concurrent_listener l) { impl_->listener = std::move(l); }
void push_consumer::register_listener(orderly_listener l) { impl_->listener = std::move(l); }

status push_consumer::start() {
  auto& d = *impl_;
  auto& o = d.opts;
  if (o.group.empty()) return status::error(errc::invalid_argument, "consumer group is empty");
  if (split_addrs(o.namesrv_addr).empty()) return status::error(errc::invalid_argument, "namesrv_addr is empty");
  d.started_ms = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (std::holds_alternative<std::monostate>(d.listener))
    return status::error(errc::invalid_argument, "no message listener registered");
  if (o.consume_thread_count == 0 || o.pull_batch_size <= 0 || o.pull_batch_size > 1024 ||
      o.consume_message_batch_max_size == 0 || o.consume_message_batch_max_size > 1024)
    return status::error(errc::invalid_argument, "bad consumer option (threads, pull or consume batch size)");
  {
    std::lock_guard lk(d.mu);
    if (d.subs.empty()) return status::error(errc::invalid_argument, "no subscription");
    if (d.clustering() && !d.subs.contains(d.retry_topic())) {
      auto s = make_tag_subscription(d.retry_topic(), "*");
      d.subs[d.retry_topic()] = *s;
    }
  }
  if (d.started.exchange(true)) return status::error(errc::invalid_argument, "consumer already started");

  if (d.clustering()) {
    d.offsets = make_remote_offset_store(*d.inst, o.group);
  } else {
    std::string ip = d.inst->client_id().substr(0, d.inst->client_id().find('@'));
    d.offsets = make_local_offset_store(o.offset_store_dir, ip + "@" + (o.instance_name.empty() ? "DEFAULT" : o.instance_name),
                                        o.group);
  }
  // A start that fails before the consumer runs can be tried again later
  // (a service starting while the broker is away).
  auto abort_start = [&d](mq::status st) {
    if (d.inner_producer) d.inner_producer->shutdown();
    d.inner_producer.reset();
    d.offsets.reset();
    d.started = false;
    return st;
  };
  if (auto st = d.offsets->load(); !st.ok()) return abort_start(st);

  producer_options po;
  static_cast<client_options&>(po) = o;
  po.instance_name = "";
  po.group = "CLIENT_INNER_PRODUCER";
  d.inner_producer = std::make_unique<producer>(po);
  if (auto st = d.inner_producer->start(); !st.ok()) return abort_start(st);

  // Routes first (the heartbeat goes to the brokers in them).
  bool any_route = false;
  status last;
  for (auto& s : d.subscriptions()) {
    auto r = d.inst->fetch_route(s.topic);
    if (r) {
      any_route = true;
    } else {
      last = r.error();
      if (last.code != errc::not_found)
        return abort_start(status::error(last.code, "cannot reach a name server: " + last.message));
      log()->warn("group {}: topic {} has no route yet: {}", o.group, s.topic, last.message);
    }
  }
  if (!any_route) log()->warn("group {}: none of the subscribed topics has a route yet", o.group);

  bool push = true;
  d.inst->set_heartbeat_body([self = &d, push] {
    return consumer_heartbeat(self->opts.group, push, self->opts.model, self->opts.from_where, self->subscriptions());
  });
  d.consume_pool = std::make_unique<remoting::bounded_executor>("consume-" + o.group, o.consume_thread_count, 1 << 22);
  d.rebalancer = std::make_unique<timer_thread>("rebalance-" + o.group);
  d.running = true;
  d.inst->send_heartbeat();
  // The broker creates %RETRY%<group> on the first heartbeat.
  if (d.clustering()) (void)d.inst->fetch_route(d.retry_topic());

  // SQL92 subscriptions: ask the brokers whether they can filter.
  for (auto& s : d.subscriptions()) {
    if (s.type == "TAG") continue;
    for (auto& addr : d.inst->master_addrs()) {
      auto r = remoting_command::request(req::CHECK_CLIENT_CONFIG);
      r.body = remoting::to_json(
          {{"clientId", d.inst->client_id()}, {"group", o.group}, {"subscriptionData", subscription_json(s)}});
      auto resp = d.inst->call(addr, std::move(r), o.request_timeout);
      if (!resp || resp->code != rc::SUCCESS) {
        auto err = resp ? response_error(*resp, "SQL92 subscription of " + s.topic + " refused by " + addr)
                        : resp.error();
        d.running = false;
        shutdown();
        return status::error(errc::unsupported, err.message);
      }
    }
  }

  d.inst->start_background();
  impl* self = &d;
  d.inst->timer().post_every(o.persist_consumer_offset_interval, [self] {
    if (self->running) self->persist();
    return true;
  });
  d.rebalancer->post_every(o.rebalance_interval, [self] {
    self->rebalance();
    return true;
  });
  if (d.orderly() && d.clustering()) {
    d.rebalancer->post_every(milliseconds(20000), [self] {
      if (self->running) self->lock_all();
      return true;
    });
  }
  d.rebalancer->post_after(milliseconds(0), [self] { self->rebalance(); });
  log()->info("push consumer {} started: client id {}, {}, {}, {} listener", o.group, d.inst->client_id(),
              to_string(o.model), to_string(o.from_where), d.orderly() ? "orderly" : "concurrent");
  return status::success();
}

void push_consumer::shutdown() {
  auto& d = *impl_;
  if (!d.started || d.stopping.exchange(true)) return;
  d.running = false;
  if (d.rebalancer) d.rebalancer->stop();
  if (d.consume_pool) d.consume_pool->shutdown();  // queued tasks return at once; running ones finish
  auto held = d.held_queues();
  if (d.offsets) d.persist(true);
  {
    std::lock_guard lk(d.mu);
    for (auto& [_, pq] : d.pqs) pq->dropped = true;
  }
  if (d.orderly() && d.clustering() && !held.empty()) d.unlock({held.begin(), held.end()});
  d.inst->unregister("", d.opts.group);
  if (d.inner_producer) d.inner_producer->shutdown();
  d.inst->shutdown();
  log()->info("push consumer {} shut down", d.opts.group);
}

void push_consumer::halt() {
  auto& d = *impl_;
  if (!d.started || d.stopping.exchange(true)) return;
  d.running = false;
  d.inst->shutdown();
  if (d.rebalancer) d.rebalancer->stop();
  if (d.consume_pool) d.consume_pool->shutdown();
  if (d.inner_producer) d.inner_producer->shutdown();
  log()->warn("push consumer {} halted", d.opts.group);
}

const std::string& push_consumer::client_id() const { return impl_->inst->client_id(); }

std::vector<message_queue> push_consumer::assigned_queues() const {
  auto s = impl_->held_queues();
  return {s.begin(), s.end()};
}

void push_consumer::persist_offsets() {
  if (impl_->running) impl_->persist();
}

void push_consumer::rebalance_now() {
  impl* self = impl_.get();
  if (self->running) self->rebalancer->post_after(milliseconds(0), [self] { self->rebalance(); });
}

}  // namespace mq::client
