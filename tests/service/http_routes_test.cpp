// What the HTTP door answers by method and path (POST /v1/check aside): only /metrics serves
// metrics, /healthz is liveness, /readyz says why a node is not ready, an unknown path is 404
// and a wrong method 405, both with a JSON error body.
#include "service/http_routes.h"

#include <gtest/gtest.h>

namespace drl::service {
namespace {

TEST(HttpRoutes, EachPathMeansWhatItSays) {
  std::string why;
  HttpRoutes routes{[] { return std::string("drl_keys 0\n"); }, [&] { return why; }};
  auto metrics = answer_http("GET", "/metrics", routes);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body, "drl_keys 0\n");
  EXPECT_EQ(answer_http("GET", "/metrics?x=1", routes).status, 200);
  EXPECT_EQ(answer_http("HEAD", "/metrics", routes).status, 200);
  auto health = answer_http("GET", "/healthz", routes);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body.find("drl_"), std::string::npos);
  EXPECT_EQ(answer_http("GET", "/readyz", routes).status, 200);
  why = "hand-off pending";
  auto ready = answer_http("GET", "/readyz", routes);
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("hand-off pending"), std::string::npos);
  for (const char* other : {"/", "/metricsx", "/healthz/x", "/favicon.ico", "/v1/check"}) {
    const auto a = answer_http("GET", other, routes);
    EXPECT_EQ(a.status, 404) << other;
    EXPECT_EQ(a.content_type, kJsonType);
    EXPECT_NE(a.body.find("\"code\":\"NOT_FOUND\""), std::string::npos) << a.body;
  }
  const auto post = answer_http("POST", "/metrics", routes);
  EXPECT_EQ(post.status, 405);
  EXPECT_NE(post.body.find("\"code\":\"METHOD_NOT_ALLOWED\""), std::string::npos) << post.body;
}

TEST(HttpRoutes, TheCheckPathTakesPostOnly) {
  HttpRoutes routes;
  routes.check = true;
  const auto get = answer_http("GET", kCheckPath, routes);
  EXPECT_EQ(get.status, 405);
  EXPECT_NE(get.body.find("POST only"), std::string::npos) << get.body;
  EXPECT_NE(answer_http("GET", "/nope", routes).body.find("POST /v1/check"), std::string::npos);
}

}  // namespace
}  // namespace drl::service
