#include "offset_store.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "log.h"
#include "mq/common/config_file.h"
#include "mq/remoting/json.h"

namespace mq::client {

namespace req = remoting::request_code;
namespace rc = remoting::response_code;

void offset_store::update(const message_queue& q, int64_t offset, bool increase_only) {
  std::lock_guard lk(mu_);
  auto [it, inserted] = offsets_.emplace(q, offset);
  if (!inserted && (!increase_only || offset > it->second)) it->second = offset;
}

void offset_store::remove(const message_queue& q) {
  std::lock_guard lk(mu_);
  offsets_.erase(q);
}

std::map<message_queue, int64_t> offset_store::snapshot() const {
  std::lock_guard lk(mu_);
  return offsets_;
}

int64_t offset_store::held(const message_queue& q) const {
  std::lock_guard lk(mu_);
  auto it = offsets_.find(q);
  return it == offsets_.end() ? -1 : it->second;
}

// ---- broker calls ----------------------------------------------------------------

namespace {

remoting_command queue_request(int32_t code, const message_queue& q) {
  auto r = remoting_command::request(code);
  r.set("topic", q.topic);
  r.set("queueId", int64_t{q.queue_id});
  return r;
}

// `none_is_minus_one`: QUERY_NOT_FOUND means "no offset stored" (−1).
result<int64_t> offset_call(client_instance& inst, remoting_command r, const message_queue& q, const char* what,
                            const char* field, bool none_is_minus_one = false) {
  auto addr = inst.master_addr(q.broker_name);
  if (addr.empty()) {
    (void)inst.route(q.topic);
    addr = inst.master_addr(q.broker_name);
  }
  // Its master down, a broker group answers from a slave (Java
  // findBrokerAddressInAdmin): the slave has the master's synced offsets.
  if (addr.empty()) addr = inst.any_addr(q.broker_name);
  if (addr.empty()) return status::error(errc::not_found, "no address for broker " + q.broker_name);
  auto resp = inst.call(addr, std::move(r), inst.options().request_timeout);
  if (!resp) return resp.error();
  if (none_is_minus_one && resp->code == rc::QUERY_NOT_FOUND) return int64_t{-1};
  if (resp->code != rc::SUCCESS) return response_error(*resp, std::string(what) + " of " + q.to_string());
  auto v = resp->field_int(field);
  if (!v) return status::error(errc::corrupt, std::string(what) + ": response without " + field);
  return *v;
}

}  // namespace

result<int64_t> query_consumer_offset(client_instance& inst, const std::string& group, const message_queue& q) {
  auto r = queue_request(req::QUERY_CONSUMER_OFFSET, q);
  r.set("consumerGroup", group);
  return offset_call(inst, std::move(r), q, "query consumer offset", "offset", true);
}

status update_consumer_offset(client_instance& inst, const std::string& group, const message_queue& q,
                              int64_t offset, bool wait) {
  auto r = queue_request(req::UPDATE_CONSUMER_OFFSET, q);
  r.set("consumerGroup", group);
  r.set("commitOffset", offset);
  r.language = remoting::language_code::CPP;
  auto addr = inst.master_addr(q.broker_name);
  if (addr.empty()) {
    // A master that was down may be back: ask the name server (Java's
    // updateConsumeOffsetToBroker does the same before giving up).
    (void)inst.fetch_route(q.topic);
    addr = inst.master_addr(q.broker_name);
  }
  if (addr.empty()) return status::error(errc::not_found, "no master for " + q.broker_name);
  if (wait) {
    auto resp = inst.call(addr, std::move(r), inst.options().request_timeout);
    if (!resp) return resp.error();
    if (resp->code != rc::SUCCESS) return response_error(*resp, "update offset of " + q.to_string());
    return status::success();
  }
  auto e = inst.net().invoke_oneway(addr, std::move(r));
  if (e != remoting::errc::ok)
    return status::error(errc::io_error, "update offset at " + addr + ": " + remoting::to_string(e));
  return status::success();
}

result<int64_t> max_offset(client_instance& inst, const message_queue& q) {
  return offset_call(inst, queue_request(req::GET_MAX_OFFSET, q), q, "max offset", "offset");
}

result<int64_t> min_offset(client_instance& inst, const message_queue& q) {
  return offset_call(inst, queue_request(req::GET_MIN_OFFSET, q), q, "min offset", "offset");
}

result<int64_t> search_offset(client_instance& inst, const message_queue& q, int64_t timestamp_ms) {
  auto r = queue_request(req::SEARCH_OFFSET_BY_TIMESTAMP, q);
  r.set("timestamp", timestamp_ms);
  return offset_call(inst, std::move(r), q, "search offset", "offset");
}

// ---- remote store ------------------------------------------------------------------

namespace {

class remote_offset_store : public offset_store {
 public:
  remote_offset_store(client_instance& inst, std::string group) : inst_(inst), group_(std::move(group)) {}

  int64_t read(const message_queue& q, bool from_store) override {
    if (!from_store) return held(q);
    auto v = query_consumer_offset(inst_, group_, q);
    if (!v) {
      log()->warn("group {}: reading the offset of {} failed: {}", group_, q.to_string(), v.error().message);
      return -2;  // unknown: the caller must not start from a guess
    }
    if (*v >= 0) update(q, *v, false);
    return *v;
  }

  void persist(const std::set<message_queue>& queues, bool wait) override {
    for (auto& [q, off] : snapshot()) {
      if (!queues.contains(q) || off < 0) continue;
      auto st = update_consumer_offset(inst_, group_, q, off, wait);
      if (!st.ok())
        log()->log(wait ? spdlog::level::warn : spdlog::level::debug, "group {}: persisting {}={} failed: {}", group_,
                   q.to_string(), off, st.message);
    }
  }

 private:
  client_instance& inst_;
  std::string group_;
};

class local_offset_store : public offset_store {
 public:
  local_offset_store(std::string dir, std::string client_key, std::string group) {
    if (dir.empty()) {
      const char* home = std::getenv("HOME");
      dir = std::string(home && *home ? home : ".") + "/.rocketmq_offsets";
    }
    path_ = dir + "/" + client_key + "/" + group + "/offsets.json";
  }

  status load() override {
    // The file, or its .bak when the file is damaged (mq/common config_file.h).
    auto text = read_config_file(path_, [](const std::string& t) {
      auto j = remoting::parse_lenient(t);
      return j && j->is_object() && j->contains("offsetTable") && (*j)["offsetTable"].is_object();
    });
    if (!text) return status::success();
    auto j = remoting::parse_lenient(*text);
    std::lock_guard lk(mu_);
    for (auto& [k, v] : (*j)["offsetTable"].items()) {
      auto key = nlohmann::json::parse(k, nullptr, false);
      auto q = key.is_discarded() ? std::nullopt : mq_from_json(key);
      if (!q || !v.is_number_integer()) continue;
      offsets_[*q] = v.get<int64_t>();
    }
    log()->info("loaded {} offsets from {}", offsets_.size(), path_);
    return status::success();
  }

  int64_t read(const message_queue& q, bool) override { return held(q); }

  // Every held offset (the file is the whole table, whatever `queues`
  // says), in Java's OffsetSerializeWrapper layout with message-queue
  // objects as keys (fastjson style); written to a temp file, fsynced,
  // renamed; the previous file is kept as .bak.
  void persist(const std::set<message_queue>&, bool) override {
    std::string text = "{\"offsetTable\":{";
    bool first = true;
    for (auto& [q, off] : snapshot()) {
      if (!first) text += ',';
      first = false;
      text += remoting::to_json(to_json(q)) + ":" + std::to_string(off);
    }
    text += "}}";
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    std::string err;
    if (!write_file_atomic(path_, text, &err)) log()->error("cannot write offset file {}: {}", path_, err);
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<offset_store> make_remote_offset_store(client_instance& inst, std::string group) {
  return std::make_unique<remote_offset_store>(inst, std::move(group));
}

std::unique_ptr<offset_store> make_local_offset_store(std::string dir, std::string client_key, std::string group) {
  return std::make_unique<local_offset_store>(std::move(dir), std::move(client_key), std::move(group));
}

}  // namespace mq::client
