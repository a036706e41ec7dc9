#include "mq/client/lite_pull_consumer.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "client_instance.h"
#include "consumer_core.h"
#include "log.h"
#include "offset_store.h"

namespace mq::client {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;
using std::chrono::milliseconds;

namespace {
// One assigned queue: a background long-polling loop fills `buf` from
// `pull_offset`; poll() takes from `buf` and moves `position`.
struct lite_queue {
  int64_t pull_offset = 0;
  int64_t position = 0;  // next offset poll() hands out
  std::deque<message_ext> buf;
  uint64_t gen = 0;  // bumped by seek and drop: in-flight pulls of older generations are ignored
  bool dropped = false;
};
}  // namespace

struct lite_pull_consumer::impl {
  lite_pull_options opts;
  std::unique_ptr<client_instance> inst;
  std::unique_ptr<offset_store> offsets;
  std::unique_ptr<timer_thread> rebalancer;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, subscription> subs;                  // GUARDED_BY(mu)
  std::map<message_queue, std::shared_ptr<lite_queue>> qs;  // GUARDED_BY(mu)
  bool assigned_mode = false;                                // GUARDED_BY(mu)
  size_t rr = 0;                                             // GUARDED_BY(mu) round-robin start
  std::atomic<bool> running{false};
  std::atomic<bool> started{false};

  explicit impl(lite_pull_options o) : opts(std::move(o)) {}

  subscription sub_of(const std::string& topic) {
    std::lock_guard lk(mu);
    if (auto it = subs.find(topic); it != subs.end()) return it->second;
    return *make_tag_subscription(topic, "*");
  }

  void pull(const message_queue& mq, std::shared_ptr<lite_queue> lq, uint64_t gen) {
    if (!running) return;
    int64_t offset;
    {
      std::lock_guard lk(mu);
      if (lq->dropped || lq->gen != gen) return;
      if (lq->buf.size() >= opts.pull_threshold_for_queue) {
        inst->timer().post_after(milliseconds(50), [this, mq, lq, gen] { pull(mq, lq, gen); });
        return;
      }
      offset = lq->pull_offset;
    }
    auto sub = sub_of(mq.topic);
    auto addr = inst->master_addr(mq.broker_name);
    if (addr.empty()) addr = inst->any_addr(mq.broker_name);
    if (addr.empty()) {
      inst->timer().post_after(milliseconds(1000), [this, mq, lq, gen] {
        (void)inst->route(mq.topic);
        pull(mq, lq, gen);
      });
      return;
    }
    auto request = make_pull_request(opts.group, mq, offset, opts.pull_batch_size, 0, opts.broker_suspend_max_time, sub);
    inst->net().invoke_async(addr, std::move(request), opts.broker_suspend_max_time + milliseconds(15000),
                             [this, mq, lq, gen, sub](remoting::invoke_result ir) {
                               if (!running) return;
                               if (!ir.ok()) {
                                 inst->timer().post_after(milliseconds(3000), [this, mq, lq, gen] { pull(mq, lq, gen); });
                                 return;
                               }
                               auto out = parse_pull_response(ir.response, sub, opts.group);
                               milliseconds delay(0);
                               {
                                 std::lock_guard lk(mu);
                                 if (lq->dropped || lq->gen != gen) return;
                                 switch (out.code) {
                                   case rc::SUCCESS:
                                     for (auto& m : out.msgs) lq->buf.push_back(std::move(m));
                                     lq->pull_offset = out.next_begin_offset;
                                     if (!lq->buf.empty()) cv.notify_all();
                                     break;
                                   case rc::PULL_NOT_FOUND:
                                   case rc::PULL_RETRY_IMMEDIATELY:
                                   case rc::PULL_OFFSET_MOVED:
                                     if (out.next_begin_offset >= 0) {
                                       if (lq->buf.empty() && lq->position == lq->pull_offset)
                                         lq->position = out.next_begin_offset;
                                       lq->pull_offset = out.next_begin_offset;
                                     }
                                     if (out.code == rc::PULL_OFFSET_MOVED) delay = milliseconds(100);
                                     break;
                                   default:
                                     log()->warn("group {}: pull of {} failed: code {} {}", opts.group, mq.to_string(),
                                                 out.code, out.error);
                                     delay = milliseconds(3000);
                                 }
                               }
                               if (delay.count() == 0) return pull(mq, lq, gen);
                               inst->timer().post_after(delay, [this, mq, lq, gen] { pull(mq, lq, gen); });
                             });
  }

  // Starts consuming `mq` from its committed offset (or from_where).
  void add_queue(const message_queue& mq) {
    auto start = compute_start_offset(*inst, *offsets, mq, opts.from_where, opts.consume_timestamp);
    if (!start) {
      log()->warn("group {}: cannot find where to start {}: {}", opts.group, mq.to_string(), start.error().message);
      return;
    }
    auto lq = std::make_shared<lite_queue>();
    lq->pull_offset = lq->position = *start;
    {
      std::lock_guard lk(mu);
      if (qs.contains(mq)) return;
      qs[mq] = lq;
    }
    log()->info("group {}: pulling {} from offset {}", opts.group, mq.to_string(), *start);
    pull(mq, lq, 0);
  }

  void drop_queue(const message_queue& mq) {
    std::lock_guard lk(mu);
    auto it = qs.find(mq);
    if (it == qs.end()) return;
    it->second->dropped = true;
    if (opts.auto_commit) offsets->update(mq, it->second->position, false);
    qs.erase(it);
  }

  void rebalance() {
    if (!running) return;
    std::vector<subscription> list;
    {
      std::lock_guard lk(mu);
      if (assigned_mode) return;
      for (auto& [_, s] : subs) list.push_back(s);
    }
    for (auto& s : list) {
      auto route = inst->route(s.topic);
      if (!route) continue;
      auto all = route->subscribe_queues(s.topic);
      std::vector<message_queue> mine = all;
      if (opts.model == message_model::CLUSTERING) {
        auto cids = consumer_ids(*inst, opts.group, s.topic);
        if (!cids) continue;
        mine = allocate(opts.allocation, inst->client_id(), all, *cids);
      }
      std::set<message_queue> want(mine.begin(), mine.end());
      std::vector<message_queue> gone;
      {
        std::lock_guard lk(mu);
        for (auto& [q, _] : qs)
          if (q.topic == s.topic && !want.contains(q)) gone.push_back(q);
      }
      if (!gone.empty()) {
        for (auto& q : gone) drop_queue(q);
        offsets->persist({gone.begin(), gone.end()});
        for (auto& q : gone) offsets->remove(q);
      }
      for (auto& q : want) {
        bool have;
        {
          std::lock_guard lk(mu);
          have = qs.contains(q);
        }
        if (!have) add_queue(q);
      }
    }
  }

  std::set<message_queue> held() {
    std::lock_guard lk(mu);
    std::set<message_queue> out;
    for (auto& [q, _] : qs) out.insert(q);
    return out;
  }

  void commit_positions() {
    std::lock_guard lk(mu);
    for (auto& [q, lq] : qs) offsets->update(q, lq->position, false);
  }
};

lite_pull_consumer::lite_pull_consumer(lite_pull_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {
  impl_->inst = std::make_unique<client_instance>(impl_->opts);
  impl* self = impl_.get();
  impl_->inst->net().register_processor(
      req::NOTIFY_CONSUMER_IDS_CHANGED,
      [self](const remoting::channel_ptr&, remoting_command&) -> std::optional<remoting_command> {
        if (self->running && self->rebalancer) self->rebalancer->post_after(milliseconds(0), [self] { self->rebalance(); });
        return std::nullopt;
      },
      nullptr);
}

lite_pull_consumer::~lite_pull_consumer() { shutdown(); }

status lite_pull_consumer::subscribe(const std::string& topic, const std::string& tag_expression) {
  auto s = make_tag_subscription(topic, tag_expression);
  if (!s) return s.error();
  std::lock_guard lk(impl_->mu);
  if (impl_->assigned_mode) return status::error(errc::invalid_argument, "subscribe after assign");
  impl_->subs[topic] = *s;
  return status::success();
}

void lite_pull_consumer::assign(std::vector<message_queue> queues) {
  std::vector<message_queue> add;
  std::vector<message_queue> remove;
  {
    std::lock_guard lk(impl_->mu);
    impl_->assigned_mode = true;
    std::set<message_queue> want(queues.begin(), queues.end());
    for (auto& [q, _] : impl_->qs)
      if (!want.contains(q)) remove.push_back(q);
    for (auto& q : want)
      if (!impl_->qs.contains(q)) add.push_back(q);
    for (auto& q : want)
      if (!impl_->subs.contains(q.topic)) impl_->subs[q.topic] = *make_tag_subscription(q.topic, "*");
  }
  for (auto& q : remove) impl_->drop_queue(q);
  if (!impl_->running) {
    // Remember them; start() adds them.
    std::lock_guard lk(impl_->mu);
    for (auto& q : add) impl_->qs[q] = nullptr;
    return;
  }
  for (auto& q : add) impl_->add_queue(q);
}

status lite_pull_consumer::start() {
  auto& d = *impl_;
  auto& o = d.opts;
  if (o.group.empty()) return status::error(errc::invalid_argument, "consumer group is empty");
  if (split_addrs(o.namesrv_addr).empty()) return status::error(errc::invalid_argument, "namesrv_addr is empty");
  if (o.pull_batch_size <= 0 || o.pull_batch_size > 1024)
    return status::error(errc::invalid_argument, "pull_batch_size must be in 1..1024");
  if (d.started.exchange(true)) return status::error(errc::invalid_argument, "consumer already started");
  std::vector<message_queue> pending;
  std::vector<std::string> topics;
  bool assigned;
  {
    std::lock_guard lk(d.mu);
    assigned = d.assigned_mode;
    if (!assigned && d.subs.empty()) return status::error(errc::invalid_argument, "nothing subscribed or assigned");
    for (auto it = d.qs.begin(); it != d.qs.end();) {
      pending.push_back(it->first);
      it = d.qs.erase(it);
    }
    for (auto& [t, _] : d.subs) topics.push_back(t);
  }
  if (o.model == message_model::CLUSTERING) {
    d.offsets = make_remote_offset_store(*d.inst, o.group);
  } else {
    std::string ip = d.inst->client_id().substr(0, d.inst->client_id().find('@'));
    d.offsets = make_local_offset_store(o.offset_store_dir, ip + "@" + (o.instance_name.empty() ? "DEFAULT" : o.instance_name),
                                        o.group);
    if (auto st = d.offsets->load(); !st.ok()) return st;
  }
  for (auto& t : topics) {
    auto r = d.inst->fetch_route(t);
    if (!r && r.error().code != errc::not_found) return r.error();
  }
  if (!assigned) {
    impl* self = &d;
    d.inst->set_heartbeat_body([self] {
      std::vector<subscription> subs;
      {
        std::lock_guard lk(self->mu);
        for (auto& [_, s] : self->subs) subs.push_back(s);
      }
      return consumer_heartbeat(self->opts.group, false, self->opts.model, self->opts.from_where, subs);
    });
    d.inst->send_heartbeat();
  }
  d.running = true;
  d.inst->start_background();
  impl* self = &d;
  d.inst->timer().post_every(o.persist_consumer_offset_interval, [self] {
    if (!self->running) return false;
    if (self->opts.auto_commit) self->commit_positions();
    self->offsets->persist(self->held());
    return true;
  });
  d.rebalancer = std::make_unique<timer_thread>("lite-rebalance-" + o.group);
  for (auto& q : pending) d.add_queue(q);
  if (!assigned) {
    d.rebalance();
    d.rebalancer->post_every(o.rebalance_interval, [self] {
      self->rebalance();
      return true;
    });
  }
  log()->info("lite pull consumer {} started: client id {}", o.group, d.inst->client_id());
  return status::success();
}

void lite_pull_consumer::shutdown() {
  auto& d = *impl_;
  if (!d.running.exchange(false)) {
    if (d.started) d.inst->shutdown();
    return;
  }
  if (d.rebalancer) d.rebalancer->stop();
  if (d.opts.auto_commit) d.commit_positions();
  d.offsets->persist(d.held(), true);
  d.inst->unregister("", d.opts.group);
  d.inst->shutdown();
  d.cv.notify_all();
  log()->info("lite pull consumer {} shut down", d.opts.group);
}

std::vector<message_ext> lite_pull_consumer::poll(milliseconds timeout) {
  auto& d = *impl_;
  std::vector<message_ext> out;
  if (!d.running) return out;
  if (d.opts.auto_commit) d.commit_positions();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lk(d.mu);
  while (d.running) {
    std::vector<std::shared_ptr<lite_queue>> order;
    for (auto& [_, lq] : d.qs)
      if (lq) order.push_back(lq);
    for (size_t i = 0; i < order.size(); ++i) {
      auto& lq = order[(d.rr + i) % order.size()];
      if (lq->buf.empty()) continue;
      d.rr = (d.rr + i + 1) % order.size();
      while (!lq->buf.empty() && out.size() < static_cast<size_t>(d.opts.pull_batch_size)) {
        out.push_back(std::move(lq->buf.front()));
        lq->buf.pop_front();
      }
      lq->position = out.back().queue_offset + 1;
      return out;
    }
    if (d.cv.wait_until(lk, deadline) == std::cv_status::timeout) break;
  }
  return out;
}

status lite_pull_consumer::seek(const message_queue& q, int64_t offset) {
  auto& d = *impl_;
  {
    std::lock_guard lk(d.mu);
    if (!d.qs.contains(q) || !d.qs[q]) return status::error(errc::invalid_argument, q.to_string() + " is not assigned");
  }
  auto lo = min_offset(*d.inst, q);
  if (!lo) return lo.error();
  auto hi = max_offset(*d.inst, q);
  if (!hi) return hi.error();
  if (offset < *lo || offset > *hi)
    return status::error(errc::invalid_argument, "offset " + std::to_string(offset) + " outside [" +
                                                     std::to_string(*lo) + ", " + std::to_string(*hi) + "] of " +
                                                     q.to_string());
  std::shared_ptr<lite_queue> lq;
  uint64_t gen;
  {
    std::lock_guard lk(d.mu);
    lq = d.qs[q];
    lq->buf.clear();
    lq->pull_offset = lq->position = offset;
    gen = ++lq->gen;
  }
  d.pull(q, lq, gen);
  return status::success();
}

status lite_pull_consumer::seek_to_begin(const message_queue& q) {
  auto lo = min_offset(*impl_->inst, q);
  if (!lo) return lo.error();
  return seek(q, *lo);
}

status lite_pull_consumer::seek_to_end(const message_queue& q) {
  auto hi = max_offset(*impl_->inst, q);
  if (!hi) return hi.error();
  return seek(q, *hi);
}

status lite_pull_consumer::commit() {
  auto& d = *impl_;
  if (!d.running) return status::error(errc::closed, "consumer is not running");
  d.commit_positions();
  auto held = d.held();
  for (auto& [q, off] : d.offsets->snapshot()) {
    if (!held.contains(q)) continue;
    if (d.opts.model == message_model::CLUSTERING) {
      auto st = update_consumer_offset(*d.inst, d.opts.group, q, off, true);
      if (!st.ok()) return st;
    }
  }
  if (d.opts.model == message_model::BROADCASTING) d.offsets->persist(held);
  return status::success();
}

result<int64_t> lite_pull_consumer::committed(const message_queue& q) {
  if (impl_->opts.model == message_model::BROADCASTING) return impl_->offsets->read(q, true);
  return query_consumer_offset(*impl_->inst, impl_->opts.group, q);
}

std::vector<message_queue> lite_pull_consumer::assignment() const {
  auto s = impl_->held();
  return {s.begin(), s.end()};
}

result<std::vector<message_queue>> lite_pull_consumer::fetch_queues(const std::string& topic) {
  auto r = impl_->inst->fetch_route(topic);
  if (!r) return r.error();
  return r->subscribe_queues(topic);
}

}  // namespace mq::client
