// Client retries with an `Idempotency-Key` header (shop.md "Client
// retries"): the first request with a key runs; a repeat with the same key
// and the same request (method, route, body) gets the stored first response
// and runs nothing; the same key with a different request is refused with
// SHOP_IDEMPOTENCY_KEY_CONFLICT (409).
//
//   r.add("POST", "/order/confirm", [&](http::request& req) {
//     return app::with_idempotency_key(db, req, [&] { return confirm(req); });
//   });
//
// Rules:
//  - no header → `fn` runs as usual; a malformed key (empty, longer than 128
//    bytes, not printable ASCII) → 400;
//  - the key is claimed (a row in the schema's idempotency_key table) before
//    `fn` runs, so two concurrent requests with one key never both run: the
//    second gets 409 "in progress";
//  - a response with status < 500 is stored and replayed (with the header
//    `Idempotent-Replayed: true`); a 5xx response releases the key, so the
//    client's retry runs again (5xx means nothing was decided);
//  - a claim whose request never finished (the process died) is not run
//    again automatically: a repeat answers 409 "in progress or interrupted"
//    and the client inspects the resource or uses a new key. Re-running a
//    half-done confirm could create a second order; refusing cannot.
#pragma once

#include <functional>

#include "shop/db/pool.h"
#include "shop/http.h"

namespace shop::app {

http::response with_idempotency_key(db::pool& db, const http::request& req, const std::function<http::response()>& fn);

}  // namespace shop::app
