// shop-goods: the goods service (port 8081).
#include <spdlog/spdlog.h>

#include "goods.h"
#include "shop/app/service.h"
#include "shop/mq/idempotent_consumer.h"

int main(int argc, char** argv) {
  std::unique_ptr<shop::goods::goods_service> svc;
  std::unique_ptr<shop::messaging::idempotent_handler> cancel;
  return shop::app::run_service(argc, argv, {.name = "goods", .schema = "goods", .port = 8081},
                                [&](shop::app::context& ctx) -> mq::status {
                                  svc = std::make_unique<shop::goods::goods_service>(ctx.db);
                                  svc->register_routes(ctx.routes);
                                  std::string group = ctx.cfg.get("mq.goods.cancel.group", "goods_order_cancel_group");
                                  cancel = std::make_unique<shop::messaging::idempotent_handler>(
                                      ctx.db, group, [&faults = ctx.faults](pqxx::work& tx, const mq::message_ext& m) -> mq::status {
                                        auto ids = shop::goods::parse_cancel(m);
                                        if (!ids) {
                                          // A malformed cancel can never succeed: log it and acknowledge.
                                          spdlog::error("order_cancel {} ignored: {}", m.msg_id, ids.error().message);
                                          return mq::status::success();
                                        }
                                        auto st = shop::goods::goods_service::restore(tx, ids->second, ids->first);
                                        // e2e: a crash (exit) or failure after the restore, before the commit.
                                        if (faults.hit("goods_cancel_before_commit"))
                                          return mq::status::error(mq::errc::io_error, "injected fault");
                                        return st;
                                      });
                                  ctx.ensure_topic(ctx.cfg.get("mq.order.topic", "orderTopic"));
                                  mq::client::consumer_options co;
                                  co.group = group;
                                  auto& c = ctx.add_consumer(co);
                                  auto st = c.subscribe(ctx.cfg.get("mq.order.topic", "orderTopic"),
                                                        ctx.cfg.get("mq.order.cancel.tag", "order_cancel"));
                                  if (!st.ok()) return st;
                                  c.register_listener(cancel->listener());
                                  return mq::status::success();
                                });
}
