// shop-order: the order service (port 8080).
#include <spdlog/spdlog.h>

#include "order.h"
#include "shop/app/service.h"
#include "shop/mq/idempotent_consumer.h"
#include "shop/mq/outbox.h"

namespace {

// Runs the idempotent handler, then asks the relay to publish what the
// handler's (now committed) transaction enqueued.
mq::client::concurrent_listener kicking(shop::messaging::idempotent_handler& h, shop::order::order_service& svc) {
  return [l = h.listener(), &svc](const std::vector<mq::message_ext>& msgs, mq::client::consume_context& c) {
    auto r = l(msgs, c);
    svc.kick();
    return r;
  };
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<shop::order::order_service> svc;
  std::unique_ptr<shop::messaging::outbox_relay> relay;
  std::vector<std::unique_ptr<shop::messaging::idempotent_handler>> handlers;
  return shop::app::run_service(
      argc, argv, {.name = "order", .schema = "orders", .port = 8080}, [&](shop::app::context& ctx) -> mq::status {
        shop::order::order_config oc;
        oc.goods_url = ctx.cfg.get("service.goods", oc.goods_url);
        oc.coupon_url = ctx.cfg.get("service.coupon", oc.coupon_url);
        oc.user_url = ctx.cfg.get("service.user", oc.user_url);
        oc.order_topic = ctx.cfg.get("mq.order.topic", oc.order_topic);
        oc.cancel_tag = ctx.cfg.get("mq.order.cancel.tag", oc.cancel_tag);
        oc.check_tag = ctx.cfg.get("mq.order.check.tag", oc.check_tag);
        oc.step_topic = ctx.cfg.get("mq.order.step.topic", oc.step_topic);
        oc.producer_group = ctx.cfg.get("mq.order.producer.group", oc.producer_group);
        auto level = ctx.cfg.get_int("order.check.delay.level", oc.check_delay_level, 1, 64);
        auto timeout = ctx.cfg.get_int("service.call.timeout.ms", 3000, 100, 60000);
        if (!level) return level.error();
        if (!timeout) return timeout.error();
        oc.check_delay_level = static_cast<int>(*level);
        oc.call_timeout = std::chrono::milliseconds(*timeout);

        for (auto& t : {oc.order_topic, oc.step_topic, ctx.cfg.get("mq.pay.topic", "payTopic")}) ctx.ensure_topic(t);
        mq::client::producer_options po;
        po.group = oc.producer_group;
        po.send_timeout = std::chrono::milliseconds(3000);
        auto& producer = ctx.add_producer(po);
        relay = std::make_unique<shop::messaging::outbox_relay>(ctx.db, producer);
        auto* rp = relay.get();
        svc = std::make_unique<shop::order::order_service>(ctx.db, ctx.ids, ctx.faults, oc, [rp] { rp->kick(); });
        svc->register_routes(ctx.routes);
        relay->start();
        ctx.on_stop([rp] { rp->stop(); });

        auto* s = svc.get();
        auto handler = [&](const std::string& group, shop::messaging::handler_fn fn) -> shop::messaging::idempotent_handler& {
          handlers.push_back(std::make_unique<shop::messaging::idempotent_handler>(ctx.db, group, std::move(fn)));
          return *handlers.back();
        };
        struct sub {
          std::string group_key, group, topic, tag;
          shop::messaging::handler_fn fn;
        };
        std::vector<sub> subs = {
            {"mq.order.cancel.group", "order_order_cancel_group", oc.order_topic, oc.cancel_tag,
             [s](pqxx::work& tx, const mq::message_ext& m) { return s->on_cancel(tx, m); }},
            {"mq.order.check.group", "order_check_group", oc.order_topic, oc.check_tag,
             [s](pqxx::work& tx, const mq::message_ext& m) { return s->on_check(tx, m); }},
            {"mq.order.paid.group", "order_paid_group", ctx.cfg.get("mq.pay.topic", "payTopic"),
             ctx.cfg.get("mq.pay.paid.tag", "paid"),
             [s](pqxx::work& tx, const mq::message_ext& m) { return s->on_paid(tx, m); }},
        };
        for (auto& sb : subs) {
          mq::client::consumer_options co;
          co.group = ctx.cfg.get(sb.group_key, sb.group);
          auto& h = handler(co.group, sb.fn);
          auto& c = ctx.add_consumer(co);
          if (auto st = c.subscribe(sb.topic, sb.tag); !st.ok()) return st;
          c.register_listener(kicking(h, *s));
        }
        // The ordered step stream: one queue per order (shard key), consumed in order.
        mq::client::consumer_options co;
        co.group = ctx.cfg.get("mq.order.step.group", "order_step_group");
        handlers.push_back(
            std::make_unique<shop::messaging::idempotent_handler>(ctx.db, co.group, &shop::order::order_service::on_step));
        auto& steps = *handlers.back();
        auto& c = ctx.add_consumer(co);
        if (auto st = c.subscribe(oc.step_topic, "*"); !st.ok()) return st;
        c.register_listener(steps.orderly_listener());
        return mq::status::success();
      });
}
