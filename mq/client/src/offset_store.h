// Consumer offsets: on the broker (CLUSTERING, Java RemoteBrokerOffsetStore)
// or in a local file (BROADCASTING, Java LocalFileOffsetStore; format in
// docs/format/client.md). An offset is the next one to consume.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "client_instance.h"

namespace mq::client {

class offset_store {
 public:
  virtual ~offset_store() = default;
  // Loads what persists locally (the file store); no-op for the broker.
  virtual status load() { return status::success(); }
  // increase_only: ignore a value below the one held (a late consume
  // result must not move the offset back).
  void update(const message_queue& q, int64_t offset, bool increase_only);
  // The offset held in memory, else (with `from_store`) the persisted one;
  // −1 when there is none.
  virtual int64_t read(const message_queue& q, bool from_store) = 0;
  // Write the held offsets of `queues` to where they persist; `wait`:
  // until the broker confirmed each (shutdown, commit).
  virtual void persist(const std::set<message_queue>& queues, bool wait = false) = 0;
  void remove(const message_queue& q);
  std::map<message_queue, int64_t> snapshot() const;

 protected:
  int64_t held(const message_queue& q) const;
  mutable std::mutex mu_;
  std::map<message_queue, int64_t> offsets_;  // GUARDED_BY(mu_)
};

std::unique_ptr<offset_store> make_remote_offset_store(client_instance& inst, std::string group);
// `dir` as consumer_options::offset_store_dir; the file is
// <dir>/<client ip>@<instance or DEFAULT>/<group>/offsets.json.
std::unique_ptr<offset_store> make_local_offset_store(std::string dir, std::string client_key, std::string group);

// Broker-side offset calls shared by the consumers.
// QUERY_CONSUMER_OFFSET: −1 when the broker has none (QUERY_NOT_FOUND).
result<int64_t> query_consumer_offset(client_instance& inst, const std::string& group, const message_queue& q);
// UPDATE_CONSUMER_OFFSET: oneway, or with `wait` a request whose
// response says the broker holds it.
status update_consumer_offset(client_instance& inst, const std::string& group, const message_queue& q,
                              int64_t offset, bool wait = false);
// GET_MAX_OFFSET / GET_MIN_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP.
result<int64_t> max_offset(client_instance& inst, const message_queue& q);
result<int64_t> min_offset(client_instance& inst, const message_queue& q);
result<int64_t> search_offset(client_instance& inst, const message_queue& q, int64_t timestamp_ms);

}  // namespace mq::client
