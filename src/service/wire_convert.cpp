#include "service/wire_convert.h"

#include "common/time.h"

namespace drl::service {

limits::Algorithm from_wire(wire::Algorithm a) {
  switch (a) {
    case wire::LEAKY_BUCKET:
      return limits::Algorithm::kLeakyBucket;
    case wire::FIXED_WINDOW:
      return limits::Algorithm::kFixedWindow;
    case wire::SLIDING_LOG:
      return limits::Algorithm::kSlidingLog;
    case wire::SLIDING_WINDOW:
      return limits::Algorithm::kSlidingWindow;
    default:
      return limits::Algorithm::kTokenBucket;
  }
}

wire::Algorithm to_wire(limits::Algorithm a) { return static_cast<wire::Algorithm>(a); }

limits::Calendar from_wire(wire::Calendar c) {
  switch (c) {
    case wire::CALENDAR_HOUR:
      return limits::Calendar::kHour;
    case wire::CALENDAR_DAY:
      return limits::Calendar::kDay;
    case wire::CALENDAR_WEEK:
      return limits::Calendar::kWeek;
    case wire::CALENDAR_MONTH:
      return limits::Calendar::kMonth;
    default:
      return limits::Calendar::kNone;
  }
}

wire::Calendar to_wire(limits::Calendar c) { return static_cast<wire::Calendar>(c); }

void decode_check(const wire::Check& check, CheckCall& call) {
  call = CheckCall{};
  call.key = check.key();
  call.request.cost = check.has_cost() ? check.cost() : 1;
  call.request.reset = check.reset();
  call.request.refund = check.refund();
  call.request.drain_on_deny = check.drain_on_deny();
  call.request.shadow = check.shadow();
  if (check.spec_case() == wire::Check::kPolicy) {
    call.policy = check.policy();
  } else if (check.spec_case() == wire::Check::kLimit) {
    const auto& in = check.limit();
    call.has_inline = true;
    call.limit.algorithm = from_wire(in.algorithm());
    call.limit.limit = in.limit();
    // Windows beyond ~292 years would overflow nanoseconds; validate() refuses 0.
    constexpr uint64_t kMaxWindowMs = uint64_t{INT64_MAX} / uint64_t{kMillisecond};
    call.limit.window = in.window_ms() > kMaxWindowMs
                            ? Nanos{0}
                            : static_cast<Nanos>(in.window_ms()) * kMillisecond;
    call.limit.burst = in.burst();
    call.limit.calendar = from_wire(in.calendar());
    if (in.window_ms() > kMaxWindowMs) {
      call.code = CheckCode::kInvalidLimit;
      call.error = "window_ms is too large";
    }
  }
  if (call.key.empty()) {
    call.code = CheckCode::kInvalidKey;
    call.error = "key is empty";
  } else if (call.key.size() > kMaxKeyBytes) {
    call.code = CheckCode::kInvalidKey;
    call.error = "key is longer than 4096 bytes";
  } else if (call.request.cost > limits::kMaxCount) {
    call.code = CheckCode::kInvalidCost;
    call.error = "cost is above 4294967295";
  } else if (check.spec_case() == wire::Check::SPEC_NOT_SET) {
    call.code = CheckCode::kMissingLimit;
    call.error = "the check names neither a policy nor an inline limit";
  }
}

void encode_outcome(const CheckOutcome& outcome, wire::CheckResult& result) {
  const auto& d = outcome.decision;
  result.set_code(static_cast<wire::Code>(outcome.code));
  result.set_allowed(outcome.code == CheckCode::kOk && d.allowed);
  result.set_limit(d.limit);
  result.set_remaining(d.remaining);
  result.set_reset_at_ms(floor_millis(d.reset_at));
  // -1: the cost can never pass (above the whole budget), as DRL.CHECK and CL.THROTTLE say.
  result.set_retry_after_ms(d.retry_after == limits::kNever ? -1 : ceil_millis(d.retry_after));
  result.set_message(outcome.message);
  result.set_degraded(outcome.degraded);
  result.set_shadow_denied(d.shadow_denied);
  result.set_delay_ms(ceil_millis(d.delay));
  result.set_decided_by(outcome.decided_by.data(), outcome.decided_by.size());
}

}  // namespace drl::service
