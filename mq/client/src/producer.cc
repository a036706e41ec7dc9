#include "mq/client/producer.h"

#include <random>

#include <nlohmann/json.hpp>

#include "log.h"
#include "mq/common/batch.h"
#include "mq/common/compression.h"
#include "mq/common/message_const.h"
#include "mq/common/message_id.h"
#include "mq/common/properties.h"
#include "mq/common/utf8.h"
#include "producer_impl.h"

namespace mq::client {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const char* to_string(send_status s) {
  switch (s) {
    case send_status::SEND_OK: return "SEND_OK";
    case send_status::FLUSH_DISK_TIMEOUT: return "FLUSH_DISK_TIMEOUT";
    case send_status::FLUSH_SLAVE_TIMEOUT: return "FLUSH_SLAVE_TIMEOUT";
    case send_status::SLAVE_NOT_AVAILABLE: return "SLAVE_NOT_AVAILABLE";
  }
  return "?";
}

bool retryable_code(int32_t code) {
  switch (code) {
    case rc::TOPIC_NOT_EXIST:
    case rc::SERVICE_NOT_AVAILABLE:
    case rc::SYSTEM_ERROR:
    case rc::SYSTEM_BUSY:
    case rc::NO_PERMISSION:
    case rc::NO_BUYER_ID:
    case rc::NOT_IN_CURRENT_UNIT:
      return true;
    default:
      return false;
  }
}

namespace {
// One UNIQ_KEY generator per process (message_id.h).
std::string next_uniq_key() {
  static unique_id_generator ids;
  return ids.next();
}
}  // namespace

// ---- latency fault tolerance ------------------------------------------------

milliseconds latency_fault_tolerance::not_available_duration(milliseconds latency) {
  static constexpr int64_t latency_max[] = {50, 100, 550, 1000, 2000, 3000, 15000};
  static constexpr int64_t duration[] = {0, 0, 30000, 60000, 120000, 180000, 600000};
  for (int i = 6; i >= 0; --i)
    if (latency.count() >= latency_max[i]) return milliseconds(duration[i]);
  return milliseconds(0);
}

void latency_fault_tolerance::update(const std::string& broker, milliseconds latency, bool isolation) {
  auto d = not_available_duration(isolation ? milliseconds(30000) : latency);
  std::lock_guard lk(mu_);
  if (d.count() == 0) {
    until_.erase(broker);
  } else {
    until_[broker] = clock::now() + d;
  }
}

bool latency_fault_tolerance::available(const std::string& broker) const {
  std::lock_guard lk(mu_);
  auto it = until_.find(broker);
  return it == until_.end() || clock::now() >= it->second;
}

// ---- impl ----------------------------------------------------------------------

producer::impl::impl(producer_options o)
    : opts(std::move(o)),
      inst(std::make_unique<client_instance>(opts)),
      callbacks(std::make_shared<remoting::bounded_executor>("producer-cb", 2, 1 << 20)) {
  // Round robin from a random queue, as Java's ThreadLocalIndex: short-lived
  // producers (scripts, mqadmin) must not all start on the first queue.
  queue_counter = std::random_device{}();
}

status producer::impl::validate(const message& m) const {
  if (m.topic.empty()) return status::error(errc::invalid_argument, "message topic is empty");
  if (m.topic.size() > max_topic_length) return status::error(errc::invalid_argument, "topic longer than 127 bytes");
  for (char c : m.topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '%' || c == '-' ||
              c == '_' || c == '|';
    if (!ok) return status::error(errc::invalid_argument, "topic '" + m.topic + "' has characters other than ^[%|a-zA-Z0-9_-]+$");
  }
  if (m.topic == auto_create_topic_key_topic)
    return status::error(errc::invalid_argument, "the topic TBW102 is reserved for auto-creation");
  if (m.body.empty()) return status::error(errc::invalid_argument, "message body is empty");
  if (m.body.size() > opts.max_message_size)
    return status::error(errc::too_large, "message body of " + std::to_string(m.body.size()) +
                                              " bytes is over max_message_size " + std::to_string(opts.max_message_size));
  return status::success();
}

result<prepared_message> producer::impl::prepare(const message& m, std::string* uniq_key) {
  if (auto st = validate(m); !st.ok()) return st;
  prepared_message p;
  p.msg = m;
  if (!p.msg.property(property_uniq_client_message_id_keyidx))
    p.msg.put_property(std::string(property_uniq_client_message_id_keyidx), next_uniq_key());
  *uniq_key = *p.msg.property(property_uniq_client_message_id_keyidx);
  p.sys_flag |= maybe_compress(p.msg, opts.compress_msg_body_over_howmuch);
  if (auto* t = p.msg.property(property_transaction_prepared); t && *t == "true")
    p.sys_flag |= sys_flag::transaction_prepared_type;
  if (p.msg.topic.starts_with(retry_group_topic_prefix)) {
    if (auto* rt = p.msg.property(property_reconsume_time)) p.reconsume_times = std::atoi(rt->c_str());
    if (auto* mx = p.msg.property(property_max_reconsume_times)) p.max_reconsume_times = std::atoi(mx->c_str());
  }
  p.properties = encode_properties(p.msg.properties);
  if (p.properties.size() > max_properties_length)
    return status::error(errc::too_large, "message properties are longer than 32767 bytes");
  return p;
}

result<std::vector<message_queue>> producer::impl::publish_queues(const std::string& topic) {
  auto r = inst->route(topic);
  if (r) {
    auto qs = r->publish_queues(topic);
    if (!qs.empty()) return qs;
  }
  if (r.ok() || r.error().code == errc::not_found) {
    // Unknown topic: send to the brokers that allow auto-creation (TBW102's
    // route) and let them create it (Java tryToFindTopicPublishInfo).
    auto d = inst->fetch_route(std::string(auto_create_topic_key_topic));
    if (d) {
      std::vector<message_queue> qs;
      for (auto& q : d->queues) {
        auto* b = d->broker(q.broker_name);
        if (!(q.perm & perm_write) || !b || b->master_addr().empty()) continue;
        int n = std::min(opts.default_topic_queue_nums, q.write_queue_nums);
        for (int i = 0; i < n; ++i) qs.push_back({topic, q.broker_name, i});
      }
      if (!qs.empty()) return qs;
    }
    return status::error(errc::not_found, "no route for topic " + topic + " (and no broker allows auto-creation)");
  }
  return r.error();
}

message_queue producer::impl::select_queue(const std::vector<message_queue>& qs, const std::string& last_broker) {
  uint64_t idx = queue_counter.fetch_add(1);
  size_t n = qs.size();
  if (opts.send_latency_fault_enable) {
    for (size_t i = 0; i < n; ++i) {
      auto& q = qs[(idx + i) % n];
      if (q.broker_name != last_broker && faults.available(q.broker_name)) return q;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    auto& q = qs[(idx + i) % n];
    if (q.broker_name != last_broker) return q;
  }
  return qs[idx % n];
}

remoting_command producer::impl::make_request(const prepared_message& p, const message_queue& q) const {
  auto r = remoting_command::request(p.batch ? req::SEND_BATCH_MESSAGE : req::SEND_MESSAGE_V2);
  r.set("a", opts.group);
  r.set("b", p.msg.topic);
  r.set("c", std::string(auto_create_topic_key_topic));
  r.set("d", int64_t{opts.default_topic_queue_nums});
  r.set("e", int64_t{q.queue_id});
  r.set("f", int64_t{p.sys_flag});
  r.set("g", std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  r.set("h", int64_t{p.msg.flag});
  r.set("i", p.properties);
  r.set("j", int64_t{p.reconsume_times < 0 ? 0 : p.reconsume_times});
  r.set("k", "false");
  if (p.max_reconsume_times >= 0) r.set("l", int64_t{p.max_reconsume_times});
  r.set("m", p.batch ? "true" : "false");
  r.set("n", q.broker_name);
  r.body = p.msg.body;
  return r;
}

result<send_result> producer::impl::parse_response(const remoting_command& resp, const message_queue& q,
                                                   const std::string& uniq_key) const {
  send_result out;
  switch (resp.code) {
    case rc::SUCCESS: out.status = send_status::SEND_OK; break;
    case rc::FLUSH_DISK_TIMEOUT: out.status = send_status::FLUSH_DISK_TIMEOUT; break;
    case rc::FLUSH_SLAVE_TIMEOUT: out.status = send_status::FLUSH_SLAVE_TIMEOUT; break;
    case rc::SLAVE_NOT_AVAILABLE: out.status = send_status::SLAVE_NOT_AVAILABLE; break;
    default: return response_error(resp, "send to " + q.to_string());
  }
  out.msg_id = uniq_key;
  if (auto* v = resp.field("msgId")) out.offset_msg_id = *v;
  out.queue = q;
  if (auto v = resp.field_int("queueId")) out.queue.queue_id = static_cast<int32_t>(*v);
  if (auto v = resp.field_int("queueOffset")) out.queue_offset = *v;
  if (auto* v = resp.field("transactionId")) out.transaction_id = *v;
  if (auto* v = resp.field("MSG_REGION")) out.region_id = *v;
  return out;
}

result<send_result> producer::impl::send_once(const prepared_message& p, const message_queue& q,
                                              const std::string& uniq_key, milliseconds timeout,
                                              int32_t* code) {
  auto addr = inst->master_addr(q.broker_name);
  if (addr.empty()) return status::error(errc::not_found, "no master address for broker " + q.broker_name);
  auto begin = clock::now();
  auto resp = inst->call(addr, make_request(p, q), timeout);
  auto latency = std::chrono::duration_cast<milliseconds>(clock::now() - begin);
  if (!resp) {
    faults.update(q.broker_name, latency, true);
    return resp.error();
  }
  faults.update(q.broker_name, latency, false);
  *code = resp->code;
  return parse_response(*resp, q, uniq_key);
}

result<send_result> producer::impl::send_with_retries(const prepared_message& p, const std::string& uniq_key,
                                                      const message_queue* fixed) {
  if (!started || down) return status::error(errc::closed, "producer is not started");
  auto deadline = clock::now() + opts.send_timeout;
  int attempts = fixed ? 1 : 1 + std::max(0, opts.retry_times_when_send_failed);
  std::string last_broker;
  status last = status::error(errc::timeout, "send timed out before any attempt");
  for (int i = 0; i < attempts; ++i) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
    if (left.count() <= 0) break;
    message_queue q;
    if (fixed) {
      q = *fixed;
      if (inst->master_addr(q.broker_name).empty()) (void)inst->route(q.topic);
    } else {
      auto qs = publish_queues(p.msg.topic);
      if (!qs) {
        last = qs.error();
        if (last.code == errc::not_found || last.code == errc::invalid_argument) return last;
        continue;
      }
      q = select_queue(*qs, last_broker);
    }
    int32_t code = -1;
    auto r = send_once(p, q, uniq_key, left, &code);
    if (r) {
      if (r->status != send_status::SEND_OK && opts.retry_another_broker_when_not_store_ok && i + 1 < attempts) {
        last_broker = q.broker_name;
        last = status::error(errc::io_error, std::string("broker answered ") + to_string(r->status));
        continue;
      }
      return r;
    }
    last = r.error();
    last_broker = q.broker_name;
    log()->warn("send of {} to {} failed (attempt {}/{}): {}", uniq_key, q.to_string(), i + 1, attempts,
                last.message);
    // A broker refusal is retried only for the retryable codes.
    if (code >= 0 && !retryable_code(code)) return last;
    if (last.code == errc::not_found && !fixed) {
      // TOPIC_NOT_EXIST from the broker: the route may be stale.
      inst->forget_route(p.msg.topic);
    }
    if (last.code == errc::closed && down) return last;
    (void)inst->fetch_route(p.msg.topic);
  }
  return last;
}

// ---- async ---------------------------------------------------------------------

struct async_send {
  prepared_message p;
  std::string uniq_key;
  send_callback cb;
  clock::time_point deadline;
  int attempts_left = 0;
  std::string last_broker;
};

void producer::impl::send_async_attempt(std::shared_ptr<async_send> s) {
  auto finish = [this](const std::shared_ptr<async_send>& st, result<send_result> r) {
    try {
      st->cb(std::move(r));
    } catch (const std::exception& e) {
      log()->error("send callback of {} threw: {}", st->uniq_key, e.what());
    }
    inflight.fetch_sub(1);
  };
  auto left = std::chrono::duration_cast<milliseconds>(s->deadline - clock::now());
  if (down) return finish(s, status::error(errc::closed, "producer shut down"));
  if (left.count() <= 0) return finish(s, status::error(errc::timeout, "send timed out"));
  auto qs = publish_queues(s->p.msg.topic);
  if (!qs) return finish(s, qs.error());
  auto q = select_queue(*qs, s->last_broker);
  auto addr = inst->master_addr(q.broker_name);
  --s->attempts_left;
  auto begin = clock::now();
  auto request = make_request(s->p, q);
  request.language = remoting::language_code::CPP;
  inst->net().invoke_async(addr, std::move(request), left, [this, s, q, begin, finish](remoting::invoke_result ir) {
    auto latency = std::chrono::duration_cast<milliseconds>(clock::now() - begin);
    faults.update(q.broker_name, latency, !ir.ok());
    auto task = [this, s, q, ir = std::move(ir), finish]() mutable {
      bool retry = false;
      result<send_result> r = status::error(errc::io_error, "");
      if (ir.ok()) {
        r = parse_response(ir.response, q, s->uniq_key);
        retry = !r.ok() && retryable_code(ir.response.code);
      } else {
        r = status::error(ir.error == remoting::errc::timeout ? errc::timeout : errc::io_error,
                          q.broker_name + ": " + remoting::to_string(ir.error) + " " + ir.message);
        retry = ir.error != remoting::errc::shutting_down;
      }
      if (!r.ok() && retry && s->attempts_left > 0 && !down) {
        log()->warn("async send of {} to {} failed, retrying: {}", s->uniq_key, q.to_string(), r.error().message);
        s->last_broker = q.broker_name;
        (void)inst->fetch_route(s->p.msg.topic);
        return send_async_attempt(s);
      }
      finish(s, std::move(r));
    };
    if (!callbacks->try_submit(task)) {
      log()->error("producer callback pool refused a task; running it on a new thread");
      std::thread(std::move(task)).detach();
    }
  });
}

// ---- producer --------------------------------------------------------------------

producer::producer(producer_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

producer::~producer() { shutdown(); }

status producer::start() {
  auto& o = impl_->opts;
  if (o.group.empty()) return status::error(errc::invalid_argument, "producer group is empty");
  if (split_addrs(o.namesrv_addr).empty()) return status::error(errc::invalid_argument, "namesrv_addr is empty");
  if (o.send_timeout.count() <= 0) return status::error(errc::invalid_argument, "send_timeout must be positive");
  if (o.max_message_size == 0) return status::error(errc::invalid_argument, "max_message_size must be positive");
  if (impl_->started.exchange(true)) return status::success();
  auto group = o.group;
  impl_->inst->set_heartbeat_body([group] {
    return nlohmann::json{{"producerDataSet", nlohmann::json::array({{{"groupName", group}}})},
                          {"consumerDataSet", nlohmann::json::array()}};
  });
  impl_->inst->start_background();
  // As Java's producer does (its route table starts with TBW102, refreshed
  // at once, then a heartbeat): learn the brokers and tell them about this
  // group now, not at the first send. A transaction producer needs it: the
  // broker checks back only with live producers of the group, and a
  // restarted producer may have half messages waiting before it sends
  // anything.
  auto* inst = impl_->inst.get();
  inst->timer().post_after(std::chrono::milliseconds(0), [inst] {
    (void)inst->fetch_route(std::string(auto_create_topic_key_topic));
    inst->send_heartbeat();
  });
  log()->info("producer {} started, client id {}", group, impl_->inst->client_id());
  return status::success();
}

void producer::shutdown() {
  if (!impl_ || impl_->down.exchange(true)) return;
  if (impl_->started) impl_->inst->unregister(impl_->opts.group, "");
  impl_->inst->shutdown();
  impl_->callbacks->shutdown();
  log()->info("producer {} shut down", impl_->opts.group);
}

const producer_options& producer::options() const { return impl_->opts; }
size_t producer::inflight_async() const { return impl_->inflight.load(); }

result<send_result> producer::send(const message& msg) {
  std::string key;
  auto p = impl_->prepare(msg, &key);
  if (!p) return p.error();
  return impl_->send_with_retries(*p, key, nullptr);
}

result<send_result> producer::send(const message& msg, const message_queue& queue) {
  if (queue.topic != msg.topic)
    return status::error(errc::invalid_argument, "queue topic " + queue.topic + " is not the message's topic");
  std::string key;
  auto p = impl_->prepare(msg, &key);
  if (!p) return p.error();
  return impl_->send_with_retries(*p, key, &queue);
}

result<send_result> producer::send(const message& msg, const queue_selector& selector, const std::any& arg) {
  std::string key;
  auto p = impl_->prepare(msg, &key);
  if (!p) return p.error();
  if (!impl_->started) return status::error(errc::closed, "producer is not started");
  auto qs = impl_->publish_queues(msg.topic);
  if (!qs) return qs.error();
  message_queue q;
  try {
    q = selector(*qs, msg, arg);
  } catch (const std::exception& e) {
    return status::error(errc::invalid_argument, std::string("queue selector threw: ") + e.what());
  }
  if (q.topic != msg.topic) return status::error(errc::invalid_argument, "queue selector chose a queue of another topic");
  return impl_->send_with_retries(*p, key, &q);
}

void producer::send_async(const message& msg, send_callback cb) {
  auto s = std::make_shared<async_send>();
  auto p = impl_->prepare(msg, &s->uniq_key);
  status early;
  if (!p) early = p.error();
  else if (!impl_->started || impl_->down) early = status::error(errc::closed, "producer is not started");
  if (!early.ok()) {
    impl_->inflight.fetch_add(1);
    // Errors reach the callback on the pool too, never inline.
    if (!impl_->callbacks->try_submit([cb, early, this] {
          cb(early);
          impl_->inflight.fetch_sub(1);
        })) {
      cb(early);
      impl_->inflight.fetch_sub(1);
    }
    return;
  }
  s->p = std::move(*p);
  s->cb = std::move(cb);
  s->deadline = clock::now() + impl_->opts.send_timeout;
  s->attempts_left = 1 + std::max(0, impl_->opts.retry_times_when_send_async_failed);
  impl_->inflight.fetch_add(1);
  impl_->send_async_attempt(std::move(s));
}

std::future<result<send_result>> producer::send_async(const message& msg) {
  auto prom = std::make_shared<std::promise<result<send_result>>>();
  auto fut = prom->get_future();
  send_async(msg, [prom](result<send_result> r) { prom->set_value(std::move(r)); });
  return fut;
}

status producer::send_oneway(const message& msg) {
  std::string key;
  auto p = impl_->prepare(msg, &key);
  if (!p) return p.error();
  if (!impl_->started || impl_->down) return status::error(errc::closed, "producer is not started");
  auto qs = impl_->publish_queues(msg.topic);
  if (!qs) return qs.error();
  auto q = impl_->select_queue(*qs, "");
  auto addr = impl_->inst->master_addr(q.broker_name);
  auto r = impl_->make_request(*p, q);
  r.language = remoting::language_code::CPP;
  auto e = impl_->inst->net().invoke_oneway(addr, std::move(r));
  if (e != remoting::errc::ok) {
    impl_->faults.update(q.broker_name, milliseconds(0), true);
    return status::error(errc::io_error, "oneway send to " + addr + " failed: " + remoting::to_string(e));
  }
  return status::success();
}

namespace {
// Encoded size of one message inside a batch body (batch.h): 22 bytes of
// fixed fields + body + properties, counting a UNIQ_KEY the send will add.
size_t batch_entry_size(const message& m) {
  size_t props = encode_properties(m.properties).size();
  if (!m.property(property_uniq_client_message_id_keyidx))
    props += property_uniq_client_message_id_keyidx.size() + 2 + 32 + 16;  // room for an IPv6 id
  return 22 + m.body.size() + props;
}
}  // namespace

std::vector<std::vector<message>> producer::split_batches(const std::vector<message>& msgs, size_t max_bytes) {
  std::vector<std::vector<message>> out;
  size_t size = 0;
  for (auto& m : msgs) {
    size_t s = batch_entry_size(m);
    if (out.empty() || size + s > max_bytes) {
      out.emplace_back();
      size = 0;
    }
    out.back().push_back(m);
    size += s;
  }
  return out;
}

result<send_result> producer::send_batch(const std::vector<message>& msgs) {
  if (msgs.empty()) return status::error(errc::invalid_argument, "empty batch");
  const std::string& topic = msgs.front().topic;
  std::vector<message> ready;
  ready.reserve(msgs.size());
  std::string ids;
  bool wait = true;
  for (auto& m : msgs) {
    if (m.topic != topic) return status::error(errc::invalid_argument, "a batch must have one topic");
    if (m.delay_level() > 0) return status::error(errc::invalid_argument, "a batch cannot carry a delay level");
    if (m.topic.starts_with(retry_group_topic_prefix))
      return status::error(errc::invalid_argument, "a batch cannot go to a retry topic");
    if (auto st = impl_->validate(m); !st.ok()) return st;
    ready.push_back(m);
    auto& r = ready.back();
    if (!r.property(property_uniq_client_message_id_keyidx))
      r.put_property(std::string(property_uniq_client_message_id_keyidx), next_uniq_key());
    if (!ids.empty()) ids += ',';
    ids += *r.property(property_uniq_client_message_id_keyidx);
    wait = wait && r.wait_store_msg_ok();
  }
  auto body = encode_batch(ready);
  if (!body) return body.error();
  if (body->size() > impl_->opts.max_message_size)
    return status::error(errc::too_large, "batch of " + std::to_string(body->size()) +
                                              " bytes is over max_message_size; use split_batches");
  prepared_message p;
  p.batch = true;
  p.msg.topic = topic;
  if (!wait) p.msg.set_wait_store_msg_ok(false);
  p.properties = encode_properties(p.msg.properties);
  p.msg.body = std::move(*body);
  return impl_->send_with_retries(p, ids, nullptr);
}

}  // namespace mq::client
