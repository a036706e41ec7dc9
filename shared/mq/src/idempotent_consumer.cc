#include "shop/mq/idempotent_consumer.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace shop::messaging {

namespace {
std::shared_ptr<spdlog::logger> log() {
  static auto l = [] {
    auto e = spdlog::get("consumer");
    return e ? e : spdlog::stderr_color_mt("consumer");
  }();
  return l;
}

// Step 1: the log row as a success, or one more attempt on a row that is
// not a success; no row returned = a duplicate of a success.
const char* const claim_sql =
    "INSERT INTO mq_consumer_log (group_name, msg_tag, msg_key, msg_id, msg_body, consumer_status, consumer_times) "
    "VALUES ($1, $2, $3, $4, $5, 1, 1) "
    "ON CONFLICT (group_name, msg_tag, msg_key) DO UPDATE SET consumer_times = mq_consumer_log.consumer_times + 1, "
    "consumer_status = 1, remark = NULL, msg_id = EXCLUDED.msg_id, update_time = now() "
    "WHERE mq_consumer_log.consumer_status <> 1 RETURNING consumer_times";
}  // namespace

idempotent_handler::idempotent_handler(db::pool& db, std::string group, handler_fn fn)
    : db_(db), group_(std::move(group)), fn_(std::move(fn)) {}

idempotent_handler::idempotent_handler(db::pool& db, std::string group, statement_fn fn)
    : db_(db), group_(std::move(group)), statement_(std::move(fn)) {}

std::string idempotent_handler::key_of(const ::mq::message_ext& m) {
  auto keys = m.keys();
  if (!keys.empty()) return keys.front();
  if (auto* u = m.property("UNIQ_KEY")) return *u;
  return m.msg_id;
}

::mq::status idempotent_handler::handle_transaction(const ::mq::message_ext& m, const std::string& tag,
                                                   const std::string& key, const std::string& id, bool* duplicate,
                                                   std::string* failure) {
  return db_.transact([&](pqxx::work& tx) -> ::mq::status {
    *duplicate = false;
    auto r = db::exec(tx, claim_sql, group_, tag, key, id, m.body);
    if (r.empty()) {
      *duplicate = true;
      return ::mq::status::success();
    }
    ::mq::status s;
    try {
      s = fn_(tx, m);
    } catch (const pqxx::transaction_rollback&) {
      throw;  // serialization failure / deadlock: the pool retries the whole thing
    } catch (const std::exception& e) {
      s = ::mq::status::error(::mq::errc::io_error, std::string("handler threw: ") + e.what());
    }
    if (!s.ok()) {
      *failure = s.message;
      return s;  // rolls back the log row and the effect together
    }
    return ::mq::status::success();
  });
}

::mq::status idempotent_handler::handle_statement(const ::mq::message_ext& m, const std::string& tag,
                                                 const std::string& key, const std::string& id, bool* duplicate) {
  std::optional<effect_statement> effect;
  try {
    effect = statement_(m);
  } catch (const std::exception& e) {
    return ::mq::status::error(::mq::errc::io_error, std::string("handler threw: ") + e.what());
  }
  std::string sql = std::string("WITH claim AS (") + claim_sql + ")" +
                    (effect ? ", effect AS (" + effect->sql + ")" : std::string()) + " SELECT count(*) FROM claim";
  static const std::vector<std::string> none;
  const auto& params = effect ? effect->params : none;
  return db_.apply([&](pqxx::transaction_base& tx) -> ::mq::status {
    auto row = db::exec1(tx, sql, group_, tag, key, id, m.body, pqxx::prepare::make_dynamic_params(params));
    *duplicate = row[0].as<int64_t>() == 0;
    return ::mq::status::success();
  });
}

outcome idempotent_handler::handle(const ::mq::message_ext& m) {
  std::string tag = m.tags(), key = key_of(m);
  std::string id = m.property("UNIQ_KEY") ? *m.property("UNIQ_KEY") : m.msg_id;
  bool duplicate = false;
  std::string failure;
  ::mq::status st;
  if (statement_) {
    st = handle_statement(m, tag, key, id, &duplicate);
  } else {
    st = handle_transaction(m, tag, key, id, &duplicate, &failure);
  }
  if (st.ok() && duplicate) {
    log()->info("group {}: duplicate message {} (tag {}, key {}) acknowledged without effect", group_, id, tag, key);
    return outcome::duplicate;
  }
  if (st.ok()) {
    log()->info("group {}: message {} (tag {}, key {}) applied", group_, id, tag, key);
    return outcome::applied;
  }
  if (failure.empty()) failure = st.message;
  // Record the failed attempt on its own.
  auto rec = db_.transact([&](pqxx::work& tx) -> ::mq::status {
    db::exec(tx, 
        "INSERT INTO mq_consumer_log (group_name, msg_tag, msg_key, msg_id, msg_body, consumer_status, consumer_times, remark) "
        "VALUES ($1, $2, $3, $4, $5, 2, 1, $6) "
        "ON CONFLICT (group_name, msg_tag, msg_key) DO UPDATE SET consumer_status = 2, "
        "consumer_times = mq_consumer_log.consumer_times + 1, remark = EXCLUDED.remark, update_time = now() "
        "WHERE mq_consumer_log.consumer_status <> 1",
        group_, tag, key, id, m.body, failure.substr(0, 500));
    return ::mq::status::success();
  });
  log()->warn("group {}: message {} (tag {}, key {}, reconsume {}) failed: {}{}", group_, id, tag, key,
              m.reconsume_times, failure, rec.ok() ? "" : " (and recording the failure failed: " + rec.message + ")");
  return outcome::failed;
}

::mq::client::concurrent_listener idempotent_handler::listener() {
  return [this](const std::vector<::mq::message_ext>& msgs, ::mq::client::consume_context&) {
    bool failed = false;
    for (auto& m : msgs) failed = handle(m) == outcome::failed || failed;
    return failed ? ::mq::client::consume_status::RECONSUME_LATER : ::mq::client::consume_status::CONSUME_SUCCESS;
  };
}

::mq::client::orderly_listener idempotent_handler::orderly_listener() {
  return [this](const std::vector<::mq::message_ext>& msgs, ::mq::client::consume_context&) {
    for (auto& m : msgs)
      if (handle(m) == outcome::failed) return ::mq::client::consume_orderly_status::SUSPEND_CURRENT_QUEUE_A_MOMENT;
    return ::mq::client::consume_orderly_status::SUCCESS;
  };
}

}  // namespace shop::messaging
