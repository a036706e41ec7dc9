// The transactional producer's client side (rocketmq-protocol.md §2.1
// END_TRANSACTION, §2.2 CHECK_TRANSACTION_STATE, §6.7).
#include <nlohmann/json.hpp>

#include "log.h"
#include "mq/client/producer.h"
#include "mq/common/message_const.h"
#include "mq/common/message_id.h"
#include "mq/common/message_record.h"
#include "producer_impl.h"

namespace mq::client {

namespace req = remoting::request_code;

namespace {

int32_t commit_or_rollback(local_transaction_state st) {
  switch (st) {
    case local_transaction_state::COMMIT_MESSAGE: return sys_flag::transaction_commit_type;
    case local_transaction_state::ROLLBACK_MESSAGE: return sys_flag::transaction_rollback_type;
    case local_transaction_state::UNKNOW: return sys_flag::transaction_not_type;
  }
  return sys_flag::transaction_not_type;
}

const char* state_name(local_transaction_state st) {
  switch (st) {
    case local_transaction_state::COMMIT_MESSAGE: return "COMMIT_MESSAGE";
    case local_transaction_state::ROLLBACK_MESSAGE: return "ROLLBACK_MESSAGE";
    case local_transaction_state::UNKNOW: return "UNKNOW";
  }
  return "?";
}

}  // namespace

void producer::impl::end_transaction(const send_result& r, local_transaction_state st, const std::string& remark) {
  int64_t commit_log_offset = 0;
  if (auto id = decode_offset_msg_id(r.offset_msg_id); id) commit_log_offset = id->second;
  auto cmd = remoting_command::request(req::END_TRANSACTION);
  cmd.set("producerGroup", opts.group);
  cmd.set("tranStateTableOffset", r.queue_offset);
  cmd.set("commitLogOffset", commit_log_offset);
  cmd.set("commitOrRollback", int64_t{commit_or_rollback(st)});
  cmd.set("fromTransactionCheck", "false");
  cmd.set("msgId", r.msg_id);
  cmd.set("transactionId", r.transaction_id.empty() ? r.msg_id : r.transaction_id);
  cmd.language = remoting::language_code::CPP;
  if (!remark.empty()) cmd.remark = remark;
  auto addr = inst->master_addr(r.queue.broker_name);
  auto e = inst->net().invoke_oneway(addr, std::move(cmd));
  if (e != remoting::errc::ok)
    log()->warn("END_TRANSACTION {} of {} to {} failed: {} (the broker will check back)", state_name(st), r.msg_id,
                addr, remoting::to_string(e));
  else
    log()->info("transaction {} ended {} at {}", r.msg_id, state_name(st), addr);
}

struct transaction_producer::check_state {
  transaction_listener* listener = nullptr;
  std::shared_ptr<remoting::bounded_executor> pool;
};

transaction_producer::transaction_producer(transaction_producer_options opts, transaction_listener* listener)
    : producer(opts), check_(std::make_unique<check_state>()) {
  check_->listener = listener;
  check_->pool = std::make_shared<remoting::bounded_executor>("tx-check", std::max<size_t>(1, opts.check_thread_pool_size),
                                                              std::max<size_t>(1, opts.check_request_hold_max));
  impl* self = impl_.get();
  // CHECK_TRANSACTION_STATE: answer from the listener with a oneway
  // END_TRANSACTION on the same connection (fromTransactionCheck=true).
  impl_->inst->net().register_processor(
      req::CHECK_TRANSACTION_STATE,
      [self, listener](const remoting::channel_ptr& ch, remoting_command& request) -> std::optional<remoting_command> {
        auto msg = decode_record(request.body, false);
        if (!msg) {
          log()->warn("CHECK_TRANSACTION_STATE from {} with a bad body: {}", ch->remote_address(),
                      msg.error().message);
          return std::nullopt;
        }
        auto* group = msg->property(property_producer_group);
        if (group && *group != self->opts.group) {
          log()->warn("CHECK_TRANSACTION_STATE for group {} reached producer group {}; ignored", *group,
                      self->opts.group);
          return std::nullopt;
        }
        std::string uniq;
        if (auto* u = msg->property(property_uniq_client_message_id_keyidx)) uniq = *u;
        local_transaction_state st = local_transaction_state::UNKNOW;
        std::string remark;
        try {
          st = listener->check_local_transaction(*msg);
        } catch (const std::exception& e) {
          remark = std::string("checkLocalTransaction exception: ") + e.what();
          log()->warn("check_local_transaction of {} threw: {}", uniq, e.what());
        }
        auto cmd = remoting_command::request(req::END_TRANSACTION);
        cmd.set("producerGroup", self->opts.group);
        cmd.set("tranStateTableOffset", request.field_int("tranStateTableOffset").value_or(0));
        cmd.set("commitLogOffset", request.field_int("commitLogOffset").value_or(msg->commit_log_offset));
        cmd.set("commitOrRollback", int64_t{commit_or_rollback(st)});
        cmd.set("fromTransactionCheck", "true");
        auto* hdr_id = request.field("msgId");
        cmd.set("msgId", hdr_id ? *hdr_id : uniq);
        auto* tx = request.field("transactionId");
        cmd.set("transactionId", tx && !tx->empty() ? *tx : uniq);
        cmd.language = remoting::language_code::CPP;
        if (!remark.empty()) cmd.remark = remark;
        auto e = ch->invoke_oneway(std::move(cmd));
        log()->info("transaction check of {} answered {}{}", uniq, state_name(st),
                    e == remoting::errc::ok ? "" : std::string(" (write failed: ") + remoting::to_string(e) + ")");
        return std::nullopt;
      },
      check_->pool);
}

transaction_producer::~transaction_producer() {
  shutdown();
  check_->pool->shutdown();
}

result<transaction_send_result> transaction_producer::send_message_in_transaction(const message& msg,
                                                                                  const std::any& arg) {
  if (!check_->listener) return status::error(errc::invalid_argument, "no transaction listener");
  message half = msg;
  if (half.delay_level() > 0) half.remove_property(property_delay_time_level);  // Java clears it too
  half.put_property(std::string(property_transaction_prepared), "true");
  half.put_property(std::string(property_producer_group), impl_->opts.group);
  auto sent = send(half);
  if (!sent) return sent.error();
  transaction_send_result out;
  static_cast<send_result&>(out) = *sent;
  if (out.transaction_id.empty()) out.transaction_id = out.msg_id;
  std::string remark;
  if (sent->status != send_status::SEND_OK) {
    out.local_state = local_transaction_state::ROLLBACK_MESSAGE;
  } else {
    message local = half;
    local.put_property("__transactionId__", out.transaction_id);
    try {
      out.local_state = check_->listener->execute_local_transaction(local, arg);
    } catch (const std::exception& e) {
      out.local_state = local_transaction_state::UNKNOW;
      remark = std::string("executeLocalTransactionBranch exception: ") + e.what();
      log()->warn("execute_local_transaction of {} threw: {}", out.msg_id, e.what());
    }
  }
  impl_->end_transaction(out, out.local_state, remark);
  return out;
}

}  // namespace mq::client
