// The wire conversions of checks and results, where docs/protocol.md promises a value.
#include <gtest/gtest.h>

#include "limits/limit.h"
#include "service/wire_convert.h"

namespace drl::service {
namespace {

// "Never" has its own value in every door: -1 (RESP's CL.THROTTLE and DRL.CHECK say -1 too).
TEST(WireConvert, ACostThatCanNeverPassSaysRetryAfterMinusOne) {
  CheckOutcome o;
  o.decision.allowed = false;
  o.decision.retry_after = limits::kNever;
  wire::CheckResult r;
  encode_outcome(o, r);
  EXPECT_EQ(r.retry_after_ms(), -1);
  o.decision.retry_after = 1'500'001;  // 1.5 ms and a ns: rounded up
  encode_outcome(o, r);
  EXPECT_EQ(r.retry_after_ms(), 2);
  o.decision.allowed = true;
  o.decision.retry_after = 0;
  encode_outcome(o, r);
  EXPECT_EQ(r.retry_after_ms(), 0);
}

// window_ms may be left out with a calendar: the calendar's unit is the window.
TEST(WireConvert, ACalendarWindowNeedsNoWindowMs) {
  wire::Check c;
  c.set_key("k");
  c.mutable_limit()->set_algorithm(wire::FIXED_WINDOW);
  c.mutable_limit()->set_limit(5);
  c.mutable_limit()->set_calendar(wire::CALENDAR_HOUR);
  CheckCall call;
  decode_check(c, call);
  ASSERT_EQ(call.code, CheckCode::kOk) << call.error;
  EXPECT_EQ(limits::validate(call.limit), "");
  c.mutable_limit()->set_calendar(wire::CALENDAR_NONE);
  CheckCall plain;
  decode_check(c, plain);
  EXPECT_EQ(limits::validate(plain.limit), "window must be > 0");
}

}  // namespace
}  // namespace drl::service
