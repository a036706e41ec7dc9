// shop-user: the user service (port 8083).
#include <spdlog/spdlog.h>

#include "shop/app/service.h"
#include "shop/common/ids.h"
#include "shop/mq/idempotent_consumer.h"
#include "user.h"

namespace {
// {orderId, userId, ...} of an order_cancel or paid message.
mq::result<std::pair<int64_t, int64_t>> order_and_user(const mq::message_ext& m, nlohmann::json* body) {
  *body = nlohmann::json::parse(m.body, nullptr, false);
  if (body->is_discarded() || !body->is_object()) return mq::status::error(mq::errc::invalid_argument, "body is not a JSON object");
  auto order = shop::id_from_json(body->value("orderId", nlohmann::json()), "orderId");
  if (!order) return order.error();
  auto user = shop::id_from_json(body->value("userId", nlohmann::json()), "userId");
  if (!user) return user.error();
  return std::pair<int64_t, int64_t>{*order, *user};
}
}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<shop::user::user_service> svc;
  std::unique_ptr<shop::messaging::idempotent_handler> cancel, paid;
  return shop::app::run_service(
      argc, argv, {.name = "user", .schema = "users", .port = 8083}, [&](shop::app::context& ctx) -> mq::status {
        svc = std::make_unique<shop::user::user_service>(ctx.db);
        svc->register_routes(ctx.routes);
        std::string cancel_group = ctx.cfg.get("mq.user.cancel.group", "user_order_cancel_group");
        std::string paid_group = ctx.cfg.get("mq.user.paid.group", "user_paid_group");
        cancel = std::make_unique<shop::messaging::idempotent_handler>(
            ctx.db, cancel_group, [](pqxx::work& tx, const mq::message_ext& m) -> mq::status {
              nlohmann::json body;
              auto ids = order_and_user(m, &body);
              if (!ids) {
                spdlog::error("order_cancel {} ignored: {}", m.msg_id, ids.error().message);
                return mq::status::success();
              }
              return shop::user::user_service::refund_for_cancel(tx, ids->second, ids->first);
            });
        paid = std::make_unique<shop::messaging::idempotent_handler>(
            ctx.db, paid_group, [](pqxx::work& tx, const mq::message_ext& m) -> mq::status {
              nlohmann::json body;
              auto ids = order_and_user(m, &body);
              auto amount = shop::money::from_json(body.is_object() ? body.value("payAmount", nlohmann::json()) : nlohmann::json());
              if (!ids || !amount) {
                spdlog::error("paid message {} ignored: malformed body", m.msg_id);
                return mq::status::success();
              }
              return shop::user::user_service::add_score(tx, ids->second, ids->first, *amount);
            });
        ctx.ensure_topic(ctx.cfg.get("mq.order.topic", "orderTopic"));
        ctx.ensure_topic(ctx.cfg.get("mq.pay.topic", "payTopic"));
        mq::client::consumer_options co;
        co.group = cancel_group;
        auto& c1 = ctx.add_consumer(co);
        if (auto st = c1.subscribe(ctx.cfg.get("mq.order.topic", "orderTopic"), ctx.cfg.get("mq.order.cancel.tag", "order_cancel"));
            !st.ok())
          return st;
        c1.register_listener(cancel->listener());
        co.group = paid_group;
        auto& c2 = ctx.add_consumer(co);
        if (auto st = c2.subscribe(ctx.cfg.get("mq.pay.topic", "payTopic"), ctx.cfg.get("mq.pay.paid.tag", "paid")); !st.ok())
          return st;
        c2.register_listener(paid->listener());
        return mq::status::success();
      });
}
