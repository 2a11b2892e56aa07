// What the metrics port answers by path: only /metrics serves metrics, /healthz is liveness,
// /readyz says why a node is not ready, anything else is 404.
#include "service/http_routes.h"

#include <gtest/gtest.h>

namespace drl::service {
namespace {

TEST(HttpRoutes, EachPathMeansWhatItSays) {
  std::string why;
  HttpRoutes routes{[] { return std::string("drl_keys 0\n"); }, [&] { return why; }};
  auto metrics = answer_http("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", routes);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body, "drl_keys 0\n");
  EXPECT_EQ(answer_http("GET /metrics?x=1 HTTP/1.0\r\n\r\n", routes).status, 200);
  auto health = answer_http("GET /healthz HTTP/1.0\r\n\r\n", routes);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body.find("drl_"), std::string::npos);
  EXPECT_EQ(answer_http("GET /readyz HTTP/1.0\r\n\r\n", routes).status, 200);
  why = "hand-off pending";
  auto ready = answer_http("GET /readyz HTTP/1.0\r\n\r\n", routes);
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("hand-off pending"), std::string::npos);
  for (const char* other : {"/", "/metricsx", "/healthz/x", "/favicon.ico"}) {
    EXPECT_EQ(answer_http(std::string("GET ") + other + " HTTP/1.0\r\n\r\n", routes).status, 404)
        << other;
  }
  EXPECT_EQ(answer_http("POST /metrics HTTP/1.0\r\n\r\n", routes).status, 405);
  EXPECT_EQ(answer_http("garbage", routes).status, 400);
}

}  // namespace
}  // namespace drl::service
