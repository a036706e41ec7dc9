// shop-coupon: the coupon service (port 8082).
#include <spdlog/spdlog.h>

#include "coupon.h"
#include "shop/app/service.h"
#include "shop/mq/idempotent_consumer.h"

int main(int argc, char** argv) {
  std::unique_ptr<shop::coupon::coupon_service> svc;
  std::unique_ptr<shop::messaging::idempotent_handler> cancel;
  return shop::app::run_service(
      argc, argv, {.name = "coupon", .schema = "coupon", .port = 8082}, [&](shop::app::context& ctx) -> mq::status {
        svc = std::make_unique<shop::coupon::coupon_service>(ctx.db);
        svc->register_routes(ctx.routes);
        std::string group = ctx.cfg.get("mq.coupon.cancel.group", "coupon_order_cancel_group");
        cancel = std::make_unique<shop::messaging::idempotent_handler>(
            ctx.db, group, [](pqxx::work& tx, const mq::message_ext& m) -> mq::status {
              auto order = shop::coupon::cancel_order_id(m);
              if (!order) {
                spdlog::error("order_cancel {} ignored: {}", m.msg_id, order.error().message);
                return mq::status::success();
              }
              return shop::coupon::coupon_service::release(tx, *order);
            });
        ctx.ensure_topic(ctx.cfg.get("mq.order.topic", "orderTopic"));
        mq::client::consumer_options co;
        co.group = group;
        auto& c = ctx.add_consumer(co);
        auto st = c.subscribe(ctx.cfg.get("mq.order.topic", "orderTopic"), ctx.cfg.get("mq.order.cancel.tag", "order_cancel"));
        if (!st.ok()) return st;
        c.register_listener(cancel->listener());
        return mq::status::success();
      });
}
