// shop-pay: the pay service (port 9090).
#include <spdlog/spdlog.h>

#include "pay.h"
#include "shop/app/service.h"

int main(int argc, char** argv) {
  std::unique_ptr<shop::pay::pay_service> svc;
  return shop::app::run_service(
      argc, argv, {.name = "pay", .schema = "pay", .port = 9090}, [&](shop::app::context& ctx) -> mq::status {
        shop::pay::pay_config pc;
        pc.order_url = ctx.cfg.get("service.order", pc.order_url);
        pc.pay_topic = ctx.cfg.get("mq.pay.topic", pc.pay_topic);
        pc.paid_tag = ctx.cfg.get("mq.pay.paid.tag", pc.paid_tag);
        auto timeout = ctx.cfg.get_int("service.call.timeout.ms", 3000, 100, 60000);
        if (!timeout) return timeout.error();
        pc.call_timeout = std::chrono::milliseconds(*timeout);
        svc = std::make_unique<shop::pay::pay_service>(ctx.db, ctx.ids, ctx.faults, pc);
        svc->register_routes(ctx.routes);
        ctx.ensure_topic(pc.pay_topic);
        mq::client::transaction_producer_options po;
        po.group = ctx.cfg.get("mq.pay.producer.group", "pay_producer_group");
        po.send_timeout = std::chrono::milliseconds(3000);
        po.check_thread_pool_size = 2;
        svc->set_producer(&ctx.add_transaction_producer(po, svc.get()));
        return mq::status::success();
      });
}
