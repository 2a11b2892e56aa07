// The HTTP door's pure parts: a JSON body becomes the CheckCalls the native decoder would make
// (same codes), every malformed body is a 400 with a sentence, and outcomes become one JSON
// object per check with the fields of `drl check --json`.
#include "service/http_check.h"

#include <gtest/gtest.h>

namespace drl::service {
namespace {

TEST(HttpCheck, ABodyBecomesTheNativeCalls) {
  HttpCheckPlan plan;
  const HttpError e = plan_http_check(
      R"({"checks":[{"key":"user:42","cost":2,"limit":{"algorithm":"FIXED_WINDOW","limit":3,
          "window_ms":60000,"calendar":"CALENDAR_NONE"},"shadow":true},
          {"key":"k2","policy":"per_user","drain_on_deny":true},
          {"key":"k3","limit":{"limit":5,"windowMs":"1000","burst":7}}],
          "all_or_nothing":true,"timeout_ms":250})",
      plan);
  ASSERT_EQ(e.code, "") << e.message;
  ASSERT_EQ(plan.calls.size(), 3u);
  EXPECT_TRUE(plan.all_or_nothing);
  EXPECT_EQ(plan.timeout_ms, 250u);
  const CheckCall& a = plan.calls[0];
  EXPECT_EQ(a.key, "user:42");
  EXPECT_TRUE(a.has_inline);
  EXPECT_EQ(a.limit.algorithm, limits::Algorithm::kFixedWindow);
  EXPECT_EQ(a.limit.limit, 3u);
  EXPECT_EQ(a.limit.window, 60 * kSecond);
  EXPECT_EQ(a.request.cost, 2u);
  EXPECT_TRUE(a.request.shadow);
  EXPECT_EQ(a.code, CheckCode::kOk);
  const CheckCall& b = plan.calls[1];
  EXPECT_EQ(b.policy, "per_user");
  EXPECT_FALSE(b.has_inline);
  EXPECT_EQ(b.request.cost, 1u);  // absent: 1
  EXPECT_TRUE(b.request.drain_on_deny);
  const CheckCall& c = plan.calls[2];  // lowerCamelCase names, 64-bit numbers as strings
  EXPECT_EQ(c.limit.algorithm, limits::Algorithm::kTokenBucket);
  EXPECT_EQ(c.limit.window, kSecond);
  EXPECT_EQ(c.limit.burst, 7u);
}

TEST(HttpCheck, AChecksOwnFaultIsItsCodeNotTheRequests) {
  HttpCheckPlan plan;
  ASSERT_EQ(
      plan_http_check(R"({"checks":[{"key":"a"},{"key":"b","cost":0,"policy":"p"}]})", plan).code,
      "");
  EXPECT_EQ(plan.calls[0].code, CheckCode::kMissingLimit);
  EXPECT_EQ(plan.calls[1].code, CheckCode::kOk);
  EXPECT_EQ(plan.calls[1].request.cost, 0u);  // a peek
  EXPECT_FALSE(plan.all_or_nothing);
}

TEST(HttpCheck, MalformedBodiesAreRefusedWithASentence) {
  struct Case {
    const char* body;
    int status;
    const char* code;
    const char* mentions;
  };
  const Case cases[] = {
      {"", 400, "EMPTY_REQUEST", "empty"},
      {"  \n", 400, "EMPTY_REQUEST", "empty"},
      {"{}", 400, "EMPTY_REQUEST", "no checks"},
      {R"({"checks":[]})", 400, "EMPTY_REQUEST", "no checks"},
      {"not json", 400, "MALFORMED_FRAME", "not a check request"},
      {R"({"checks":[{"key":"a",)", 400, "MALFORMED_FRAME", "not a check request"},
      {R"({"checks":[{"key":"a","colour":"red"}]})", 400, "MALFORMED_FRAME", "colour"},
      {R"({"check":[]})", 400, "MALFORMED_FRAME", "check"},
      {R"({"checks":[{"key":"a","cost":-1}]})", 400, "MALFORMED_FRAME", "cost"},
      {R"({"checks":[{"key":"a","cost":1.5}]})", 400, "MALFORMED_FRAME", "cost"},
      {R"({"checks":[{"key":"a","policy":"p","limit":{"limit":1}}]})", 400, "MALFORMED_FRAME",
       "oneof"},
      {R"({"checks":[{"key":"a","limit":{"algorithm":"GCRA"}}]})", 400, "MALFORMED_FRAME",
       "algorithm"},
      {R"([{"key":"a"}])", 400, "MALFORMED_FRAME", "not a check request"},
      {R"({"checks":[{"key":"\ud800"}]})", 400, "MALFORMED_FRAME", "surrogate"},
  };
  for (const Case& c : cases) {
    HttpCheckPlan plan;
    const HttpError e = plan_http_check(c.body, plan);
    EXPECT_EQ(e.status, c.status) << c.body;
    EXPECT_EQ(e.code, c.code) << c.body << ": " << e.message;
    EXPECT_NE(e.message.find(c.mentions), std::string::npos) << c.body << ": " << e.message;
    const std::string json = http_error_json(e);
    EXPECT_EQ(json.rfind("{\"error\":{\"code\":\"" + std::string(c.code) + "\",\"message\":\"", 0),
              0u)
        << json;
  }
  std::string many = R"({"checks":[)";
  for (size_t i = 0; i <= kMaxChecksPerRequest; ++i) many += (i ? "," : "") + std::string("{}");
  HttpCheckPlan plan;
  EXPECT_EQ(plan_http_check(many + "]}", plan).code, "TOO_MANY_CHECKS");
}

TEST(HttpCheck, OutcomesBecomeOneObjectPerCheck) {
  CheckOutcome allowed;
  allowed.decision.allowed = true;
  allowed.decision.limit = 3;
  allowed.decision.remaining = 2;
  allowed.decision.reset_at = 1'700'000'000'123'456'789;
  allowed.decided_by = "n3";
  CheckOutcome denied;
  denied.decision.limit = 3;
  denied.decision.retry_after = limits::kNever;
  denied.message = "say \"no\"\n";
  CheckOutcome memory;
  memory.code = CheckCode::kMemoryFull;
  memory.decision.allowed = true;
  const std::vector<CheckOutcome> outcomes{allowed, denied, memory};
  EXPECT_EQ(http_check_json(outcomes, "n1"),
            "{\"results\":["
            "{\"allowed\":true,\"code\":\"OK\",\"limit\":3,\"remaining\":2,"
            "\"reset_at_ms\":1700000000123,\"retry_after_ms\":0,\"delay_ms\":0,\"message\":\"\","
            "\"shadow_denied\":false,\"degraded\":false,\"reset_by_eviction\":false,"
            "\"decided_by\":\"n3\"},"
            "{\"allowed\":false,\"code\":\"OK\",\"limit\":3,\"remaining\":0,\"reset_at_ms\":0,"
            "\"retry_after_ms\":-1,\"delay_ms\":0,\"message\":\"say \\\"no\\\"\\n\","
            "\"shadow_denied\":false,\"degraded\":false,\"reset_by_eviction\":false,"
            "\"decided_by\":\"n1\"},"
            "{\"allowed\":true,\"code\":\"MEMORY_FULL\",\"limit\":0,\"remaining\":0,"
            "\"reset_at_ms\":0,\"retry_after_ms\":0,\"delay_ms\":0,\"message\":\"\","
            "\"shadow_denied\":false,\"degraded\":false,\"reset_by_eviction\":false,"
            "\"decided_by\":\"n1\"}"
            "],\"decided_by\":\"n1\"}\n");
}

}  // namespace
}  // namespace drl::service
