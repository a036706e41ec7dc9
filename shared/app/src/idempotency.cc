#include "shop/app/idempotency.h"

#include <spdlog/spdlog.h>

#include "shop/app/api.h"

namespace shop::app {

namespace {

// A fingerprint of the request: method, path and body.
std::string request_hash(const http::request& req) {
  return db::text_hash(req.method + '\n' + req.path + '\n' + req.body);
}

bool valid_key(const std::string& k) {
  if (k.empty() || k.size() > 128) return false;
  for (unsigned char c : k)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

}  // namespace

http::response with_idempotency_key(db::pool& db, const http::request& req, const std::function<http::response()>& fn) {
  const std::string* key = req.header("Idempotency-Key");
  if (!key) return fn();
  if (!valid_key(*key)) return bad_request("Idempotency-Key must be 1-128 printable ASCII characters");
  std::string route = req.method + " " + req.path;
  std::string hash = request_hash(req);

  struct claim {
    bool ours = false;
    std::string route, hash;
    std::optional<int> status;
    std::string body;
  };
  auto c = db.transact([&](pqxx::work& tx) -> mq::result<claim> {
    claim out;
    auto ins = db::exec(tx, 
        "INSERT INTO idempotency_key (idem_key, route, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING "
        "RETURNING 1",
        *key, route, hash);
    if (!ins.empty()) {
      out.ours = true;
      return out;
    }
    auto row = db::exec(tx, "SELECT route, request_hash, http_status, coalesce(response, '') FROM idempotency_key "
                              "WHERE idem_key = $1",
                              *key);
    if (row.empty()) return mq::status::error(mq::errc::busy, "idempotency key vanished; retry");
    out.route = row[0][0].as<std::string>();
    out.hash = row[0][1].as<std::string>();
    if (!row[0][2].is_null()) out.status = row[0][2].as<int>();
    out.body = row[0][3].as<std::string>();
    return out;
  });
  if (!c) return unavailable(c.error());
  if (!c->ours) {
    if (c->route != route || c->hash != hash)
      return reply(shop_code::SHOP_IDEMPOTENCY_KEY_CONFLICT, nullptr,
                   "Idempotency-Key " + *key + " was used with a different request");
    if (!c->status)
      return reply(shop_code::SHOP_IDEMPOTENCY_KEY_CONFLICT, nullptr,
                   "the request with Idempotency-Key " + *key +
                       " is in progress or was interrupted; look the resource up or use a new key");
    spdlog::info("Idempotency-Key {}: replaying the stored {} response of {}", *key, *c->status, route);
    auto r = http::response::json(*c->status, c->body);
    r.headers.emplace_back("Idempotent-Replayed", "true");
    return r;
  }

  http::response r;
  try {
    r = fn();
  } catch (...) {
    (void)db.transact([&](pqxx::work& tx) -> mq::status {
      db::exec(tx, "DELETE FROM idempotency_key WHERE idem_key = $1 AND http_status IS NULL", *key);
      return mq::status::success();
    });
    throw;
  }
  auto st = db.transact([&](pqxx::work& tx) -> mq::status {
    if (r.status >= 500) {
      db::exec(tx, "DELETE FROM idempotency_key WHERE idem_key = $1 AND http_status IS NULL", *key);
    } else {
      db::exec(tx, "UPDATE idempotency_key SET http_status = $2, response = $3 WHERE idem_key = $1", *key, r.status,
                     r.body);
    }
    return mq::status::success();
  });
  if (!st.ok()) spdlog::warn("Idempotency-Key {}: the response could not be stored: {}", *key, st.message);
  return r;
}

}  // namespace shop::app
