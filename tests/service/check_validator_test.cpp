// The one validator of a check (service/check_validator.h), through the native door's decoder
// and a decider: enum values this build does not know are refused with INVALID_LIMIT, never
// decided as some default algorithm.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "service/check_validator.h"
#include "service/decision_metrics.h"
#include "service/local_decider.h"
#include "service/policy_book.h"
#include "service/wire_convert.h"
#include "store/store.h"

namespace drl::service {
namespace {

wire::Check inline_check(int algorithm, int calendar) {
  wire::Check c;
  c.set_key("user:1");
  c.mutable_limit()->set_algorithm(static_cast<wire::Algorithm>(algorithm));
  c.mutable_limit()->set_limit(1);
  c.mutable_limit()->set_window_ms(60'000);
  c.mutable_limit()->set_calendar(static_cast<wire::Calendar>(calendar));
  return c;
}

Status validate_wire(const wire::Check& check) {
  CheckCall call;
  decode_check(check, call);
  return validate_check(call);
}

TEST(CheckValidator, AnUnknownAlgorithmIsAnInvalidLimitNotATokenBucket) {
  for (int algorithm : {5, 9, 1000, -1}) {
    const Status s = validate_wire(inline_check(algorithm, 0));
    EXPECT_EQ(s.code(), ResultCode::kInvalidLimit) << algorithm;
    EXPECT_NE(s.message().find("unknown algorithm"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(validate_wire(inline_check(wire::SLIDING_WINDOW, 0)));
}

TEST(CheckValidator, AnUnknownCalendarIsAnInvalidLimitNotNone) {
  for (int calendar : {5, 77}) {
    const Status s = validate_wire(inline_check(wire::FIXED_WINDOW, calendar));
    EXPECT_EQ(s.code(), ResultCode::kInvalidLimit) << calendar;
    EXPECT_NE(s.message().find("unknown calendar"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(validate_wire(inline_check(wire::FIXED_WINDOW, wire::CALENDAR_MONTH)));
}

TEST(CheckValidator, OutOfRangeNumbersGetTheirOwnCode) {
  wire::Check c = inline_check(wire::TOKEN_BUCKET, 0);
  c.set_cost(uint64_t{1} << 40);
  EXPECT_EQ(validate_wire(c).code(), ResultCode::kInvalidCost);
  c = inline_check(wire::TOKEN_BUCKET, 0);
  c.mutable_limit()->set_limit(uint64_t{1} << 33);
  EXPECT_EQ(validate_wire(c).code(), ResultCode::kInvalidLimit);
  c = inline_check(wire::TOKEN_BUCKET, 0);
  c.mutable_limit()->set_window_ms(UINT64_MAX);
  EXPECT_EQ(validate_wire(c).code(), ResultCode::kInvalidLimit);
  c = inline_check(wire::TOKEN_BUCKET, 0);
  c.set_key(std::string(kMaxKeyBytes + 1, 'k'));
  EXPECT_EQ(validate_wire(c).code(), ResultCode::kInvalidKey);
  c.clear_key();
  EXPECT_EQ(validate_wire(c).code(), ResultCode::kInvalidKey);
  c = inline_check(wire::TOKEN_BUCKET, 0);
  c.clear_limit();
  EXPECT_EQ(validate_wire(c).code(), ResultCode::kMissingLimit);
}

// A decider answers the unknown algorithm with INVALID_LIMIT and spends nothing: a token
// bucket check of the same key and numbers still has its whole budget.
TEST(CheckValidator, ADeciderSpendsNothingOnAnUnknownAlgorithm) {
  store::Store store;
  DecisionMetrics metrics;
  PolicyBook policies(metrics);
  SystemClock clock;
  LocalDecider decider(store, policies, clock, metrics);
  const wire::Check unknown = inline_check(7, 0);
  const wire::Check bucket = inline_check(wire::TOKEN_BUCKET, 0);
  std::vector<CheckCall> calls(2);
  decode_check(unknown, calls[0]);
  decode_check(bucket, calls[1]);
  std::vector<CheckOutcome> got;
  decider.decide(calls, [&](std::span<const CheckOutcome> o) { got.assign(o.begin(), o.end()); });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].code, CheckCode::kInvalidLimit) << got[0].message;
  EXPECT_EQ(got[1].code, CheckCode::kOk);
  EXPECT_TRUE(got[1].decision.allowed) << "the unknown algorithm spent the bucket's budget";
}

}  // namespace
}  // namespace drl::service
