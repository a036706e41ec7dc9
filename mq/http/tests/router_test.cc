#include "mq/http/router.h"

#include <gtest/gtest.h>

#include "mq/http/metrics.h"

namespace mq::http {
namespace {

response ok(request&) { return response::text(200, "ok"); }

TEST(Router, MatchesLiteralsAndParameters) {
  router r;
  r.add("GET", "/goods/{id}", ok);
  r.add("POST", "/goods/reduce", ok);
  r.add("GET", "/order/{id}/steps", ok);
  r.add("GET", "/order/{id}", ok);
  r.add("GET", "/order/latest", ok);
  auto m = r.match("GET", "/goods/42");
  ASSERT_EQ(m.result, router::outcome::found);
  EXPECT_EQ(m.pattern, "/goods/{id}");
  EXPECT_EQ(m.params["id"], "42");
  m = r.match("GET", "/order/7/steps");
  ASSERT_EQ(m.result, router::outcome::found);
  EXPECT_EQ(m.pattern, "/order/{id}/steps");
  EXPECT_EQ(m.params["id"], "7");
  // Literal beats parameter.
  m = r.match("GET", "/order/latest");
  ASSERT_EQ(m.result, router::outcome::found);
  EXPECT_EQ(m.pattern, "/order/latest");
  // Trailing and doubled slashes are ignored.
  EXPECT_EQ(r.match("GET", "//goods/9/").result, router::outcome::found);
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  router r;
  r.add("POST", "/goods/reduce", ok);
  r.add("GET", "/goods/{id}", ok);
  EXPECT_EQ(r.match("GET", "/nothing").result, router::outcome::not_found);
  EXPECT_EQ(r.match("GET", "/goods").result, router::outcome::not_found);
  EXPECT_EQ(r.match("GET", "/goods/1/2").result, router::outcome::not_found);
  auto m = r.match("DELETE", "/goods/reduce");
  ASSERT_EQ(m.result, router::outcome::method_not_allowed);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "POST"}));
}

TEST(Router, BadPatternsAreRefused) {
  router r;
  r.add("GET", "/a/{id}", ok);
  EXPECT_THROW(r.add("GET", "/a/{id}", ok), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "a", ok), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/{id", ok), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/x{id}", ok), std::invalid_argument);
  EXPECT_EQ(r.routes().size(), 1u);
}

TEST(Http, QueryAndPathDecoding) {
  auto q = parse_query("a=1&b=x%20y&c&d=a+b&e=%zz");
  EXPECT_EQ(q["a"], "1");
  EXPECT_EQ(q["b"], "x y");
  EXPECT_EQ(q["c"], "");
  EXPECT_EQ(q["d"], "a b");
  EXPECT_EQ(q["e"], "%zz");
  EXPECT_EQ(decode_path("/goods/%41"), "/goods/A");
  EXPECT_FALSE(decode_path("/goods/%2F"));
  EXPECT_FALSE(decode_path("/goods/%00"));
  EXPECT_FALSE(decode_path("/goods/%4"));
}

TEST(Metrics, RendersPrometheusText) {
  metrics m("goods", "shop_");
  m.observe_request("GET", "/goods/{id}", 200, std::chrono::microseconds(700));
  m.observe_request("GET", "/goods/{id}", 404, std::chrono::microseconds(3000000));
  m.add_gauge("db_pool_in_use", "connections in use", [] {
    return std::vector<metrics::sample>{{{{"pool", "main"}}, 3}};
  });
  m.inc_counter("consumer_messages_total", {{"group", "g\"1"}, {"outcome", "success"}});
  auto text = m.render();
  EXPECT_NE(text.find(R"(shop_http_requests_total{method="GET",route="/goods/{id}",service="goods",status="200"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(shop_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/goods/{id}",service="goods"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(le="+Inf",method="GET",route="/goods/{id}",service="goods"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(shop_db_pool_in_use{pool="main",service="goods"} 3)"), std::string::npos);
  EXPECT_NE(text.find(R"(group="g\"1")"), std::string::npos);
}

TEST(Metrics, CollectorsAppendTheirFamiliesAndNumbersStayExact) {
  metrics m("broker");
  m.add_collector([] { return "# TYPE rocketmq_messages_in_total counter\nrocketmq_messages_in_total{topic=\"t\"} " +
                              prom_number(12345678901.0) + "\n"; });
  m.observe_request("GET", "/metrics", 200, std::chrono::microseconds(10));
  auto text = m.render();
  EXPECT_NE(text.find("\nhttp_requests_total{"), std::string::npos) << text;  // no prefix given
  EXPECT_NE(text.find("rocketmq_messages_in_total{topic=\"t\"} 12345678901\n"), std::string::npos) << text;
  EXPECT_EQ(prom_number(0.25), "0.25");
  EXPECT_EQ(prom_labels({{"b", "x\ny"}, {"a", "1"}}), R"({a="1",b="x\ny"})");
}

}  // namespace
}  // namespace mq::http
