// envoyproxy/ratelimit's /json endpoint, the pure part (rls/json_exchange.h): the body read as
// a RateLimitRequest, the answer written in proto3's JSON mapping, and the HTTP statuses its
// NewJsonHandler gives (200, 429 for OVER_LIMIT, 500 for UNKNOWN), drl's error bodies else.
#include "rls/json_exchange.h"

#include <gtest/gtest.h>

namespace drl::rls {
namespace {

TEST(RlsJson, ReadsARateLimitRequestInProto3Json) {
  RateLimitRequest r;
  const auto e = parse_rls_json(
      R"({"domain":"shop","descriptors":[{"entries":[{"key":"user","value":"alice"}]}],)"
      R"("hitsAddend":3})",
      r);
  EXPECT_EQ(e.code, "");
  EXPECT_EQ(r.domain(), "shop");
  ASSERT_EQ(r.descriptors_size(), 1);
  EXPECT_EQ(r.descriptors(0).entries(0).value(), "alice");
  EXPECT_EQ(r.hits_addend(), 3u);
  // proto3's JSON mapping also takes the field names as written in the .proto.
  RateLimitRequest snake;
  EXPECT_EQ(parse_rls_json(R"({"domain":"d","hits_addend":2})", snake).code, "");
  EXPECT_EQ(snake.hits_addend(), 2u);
}

TEST(RlsJson, RefusesWhatIsNotARateLimitRequest) {
  RateLimitRequest r;
  EXPECT_EQ(parse_rls_json("  \n", r).code, "EMPTY_REQUEST");
  for (const char* bad : {"not json", R"({"domian":"shop"})", R"({"domain":7})", "[1,2]"}) {
    const auto e = parse_rls_json(bad, r);
    EXPECT_EQ(e.status, 400) << bad;
    EXPECT_EQ(e.code, "MALFORMED_FRAME") << bad;
    EXPECT_NE(e.message.find("RateLimitRequest"), std::string::npos) << bad;
  }
}

TEST(RlsJson, StatusAndBodyAsEnvoyRatelimitAnswers) {
  RateLimitResponse ok;
  ok.set_overall_code(RateLimitResponse::OK);
  EXPECT_EQ(rls_json_status(ok), 200);
  RateLimitResponse over;
  over.set_overall_code(RateLimitResponse::OVER_LIMIT);
  auto* s = over.add_statuses();
  s->set_code(RateLimitResponse::OVER_LIMIT);
  s->mutable_current_limit()->set_requests_per_unit(2);
  s->mutable_current_limit()->set_unit(RateLimitResponse::RateLimit::MINUTE);
  s->mutable_duration_until_reset()->set_seconds(40);
  EXPECT_EQ(rls_json_status(over), 429);
  EXPECT_EQ(
      rls_response_json(over),
      R"({"overallCode":"OVER_LIMIT","statuses":[{"code":"OVER_LIMIT",)"
      R"("currentLimit":{"requestsPerUnit":2,"unit":"MINUTE"},"durationUntilReset":"40s"}]})");
  EXPECT_EQ(rls_json_status(RateLimitResponse{}), 500);  // UNKNOWN
}

TEST(RlsJson, ExchangeErrorsBecomeHttpErrors) {
  EXPECT_EQ(rls_json_error({true, service::CheckCode::kOk, "no domain"}).status, 400);
  EXPECT_EQ(rls_json_error({true, service::CheckCode::kOk, "no domain"}).code, "INVALID_ARGUMENT");
  EXPECT_EQ(rls_json_error({false, service::CheckCode::kOverloaded, "shed"}).status, 503);
  EXPECT_EQ(rls_json_error({false, service::CheckCode::kUnavailable, "owner"}).code, "UNAVAILABLE");
  EXPECT_EQ(rls_json_error({false, service::CheckCode::kInternal, "bug"}).status, 500);
}

}  // namespace
}  // namespace drl::rls
