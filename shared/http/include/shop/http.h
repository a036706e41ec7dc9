// The shop's HTTP layer is mq::http (mq/http): this header brings all of it
// in as shop::http, so service code says http::router, http::client, ...
#pragma once

#include "mq/http/client.h"
#include "mq/http/message.h"
#include "mq/http/metrics.h"
#include "mq/http/router.h"
#include "mq/http/server.h"

namespace shop {
namespace http = ::mq::http;
}  // namespace shop
