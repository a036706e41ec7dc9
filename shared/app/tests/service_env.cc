#include "service_env.h"

#include <stdexcept>

#include "pg_fixture.h"
#include "shop/db/migrate.h"

namespace shop::app::test {

service_env::service_env(const std::string& role, const std::string& schema,
                         const std::function<std::shared_ptr<void>(db::pool&, http::router&)>& setup) {
  auto& pg = db::test::pg_server::instance();
  pg.bootstrap_shop();
  db_ = std::make_unique<db::pool>(db::pool_options{.url = pg.shop_url(role), .schema = schema, .size = 16});
  for (auto dir : {std::string("/sql/common"), "/sql/" + schema}) {
    auto m = db::migrate(*db_, schema, std::string(SHOP_SOURCE_DIR) + dir);
    if (!m) throw std::runtime_error(m.error().message);
  }
  http::router r;
  service_ = setup(*db_, r);
  http::server_options o;
  o.service = schema + "-test";
  o.worker_threads = 16;
  srv_ = std::make_unique<http::server>(o, std::move(r));
  std::string err;
  if (!srv_->start(&err)) throw std::runtime_error(err);
  base_ = "127.0.0.1:" + std::to_string(srv_->port());
}

service_env::~service_env() { srv_->stop(); }

void service_env::sql(const std::string& q) {
  auto st = db_->transact([&](pqxx::work& tx) -> mq::status {
    tx.exec(q);
    return mq::status::success();
  });
  if (!st.ok()) throw std::runtime_error(st.message);
}

int64_t service_env::scalar(const std::string& q) {
  auto r = db_->transact([&](pqxx::work& tx) -> mq::result<int64_t> { return tx.exec1(q)[0].as<int64_t>(); });
  if (!r) throw std::runtime_error(r.error().message);
  return *r;
}

std::string service_env::text(const std::string& q) {
  auto r = db_->transact([&](pqxx::work& tx) -> mq::result<std::string> {
    auto v = tx.exec1(q)[0];
    return v.is_null() ? std::string("NULL") : v.as<std::string>();
  });
  if (!r) throw std::runtime_error(r.error().message);
  return *r;
}

std::pair<int, nlohmann::json> service_env::post(const std::string& target, const std::string& body) {
  auto r = client_.post_json(base_, target, body);
  if (!r) return {-1, nullptr};
  return {r->status, nlohmann::json::parse(r->body, nullptr, false)};
}

std::pair<int, nlohmann::json> service_env::get(const std::string& target) {
  auto r = client_.get(base_, target);
  if (!r) return {-1, nullptr};
  return {r->status, nlohmann::json::parse(r->body, nullptr, false)};
}

}  // namespace shop::app::test
