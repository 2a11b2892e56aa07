#include "service/wire_convert.h"

#include "common/time.h"

namespace drl::service {

Result<limits::Algorithm> from_wire(wire::Algorithm a) {
  switch (a) {
    case wire::TOKEN_BUCKET:
      return limits::Algorithm::kTokenBucket;
    case wire::LEAKY_BUCKET:
      return limits::Algorithm::kLeakyBucket;
    case wire::FIXED_WINDOW:
      return limits::Algorithm::kFixedWindow;
    case wire::SLIDING_LOG:
      return limits::Algorithm::kSlidingLog;
    case wire::SLIDING_WINDOW:
      return limits::Algorithm::kSlidingWindow;
    default:
      return Status(ResultCode::kInvalidLimit,
                    "invalid limit: unknown algorithm " + std::to_string(static_cast<int>(a)));
  }
}

wire::Algorithm to_wire(limits::Algorithm a) { return static_cast<wire::Algorithm>(a); }

Result<limits::Calendar> from_wire(wire::Calendar c) {
  switch (c) {
    case wire::CALENDAR_NONE:
      return limits::Calendar::kNone;
    case wire::CALENDAR_HOUR:
      return limits::Calendar::kHour;
    case wire::CALENDAR_DAY:
      return limits::Calendar::kDay;
    case wire::CALENDAR_WEEK:
      return limits::Calendar::kWeek;
    case wire::CALENDAR_MONTH:
      return limits::Calendar::kMonth;
    default:
      return Status(ResultCode::kInvalidLimit,
                    "invalid limit: unknown calendar " + std::to_string(static_cast<int>(c)));
  }
}

wire::Calendar to_wire(limits::Calendar c) { return static_cast<wire::Calendar>(c); }

void decode_check(const CheckFields& check, CheckCall& call) {
  call = CheckCall{};
  call.key = check.key;
  call.request.cost = check.has_cost ? check.cost : 1;
  call.request.reset = check.reset;
  call.request.refund = check.refund;
  call.request.drain_on_deny = check.drain_on_deny;
  call.request.shadow = check.shadow;
  if (check.spec == CheckFields::Spec::kPolicy) {
    call.policy = check.policy;
  } else if (check.spec == CheckFields::Spec::kLimit) {
    call.has_inline = true;
    const auto algorithm = from_wire(static_cast<wire::Algorithm>(check.algorithm));
    const auto calendar = from_wire(static_cast<wire::Calendar>(check.calendar));
    call.limit.algorithm = algorithm ? *algorithm : limits::Algorithm::kTokenBucket;
    call.limit.limit = check.limit;
    // Windows beyond ~292 years would overflow nanoseconds; validate() refuses 0.
    constexpr uint64_t kMaxWindowMs = uint64_t{INT64_MAX} / uint64_t{kMillisecond};
    call.limit.window = check.window_ms > kMaxWindowMs
                            ? Nanos{0}
                            : static_cast<Nanos>(check.window_ms) * kMillisecond;
    call.limit.burst = check.burst;
    call.limit.calendar = calendar ? *calendar : limits::Calendar::kNone;
    // Static texts: call.error is a view that outlives this function.
    if (!algorithm) {
      call.code = CheckCode::kInvalidLimit;
      call.error =
          "invalid limit: unknown algorithm (known: TOKEN_BUCKET, LEAKY_BUCKET, FIXED_WINDOW, "
          "SLIDING_LOG, SLIDING_WINDOW)";
    } else if (!calendar) {
      call.code = CheckCode::kInvalidLimit;
      call.error =
          "invalid limit: unknown calendar (known: CALENDAR_NONE, CALENDAR_HOUR, CALENDAR_DAY, "
          "CALENDAR_WEEK, CALENDAR_MONTH)";
    } else if (check.window_ms > kMaxWindowMs) {
      call.code = CheckCode::kInvalidLimit;
      call.error = "window_ms is too large";
    }
  } else {
    call.code = CheckCode::kMissingLimit;
    call.error = "the check names neither a policy nor an inline limit";
  }
}

void decode_check(const wire::Check& check, CheckCall& call) {
  CheckFields f;
  f.key = check.key();
  f.has_cost = check.has_cost();
  f.cost = check.cost();
  if (check.spec_case() == wire::Check::kPolicy) {
    f.spec = CheckFields::Spec::kPolicy;
    f.policy = check.policy();
  } else if (check.spec_case() == wire::Check::kLimit) {
    const auto& in = check.limit();
    f.spec = CheckFields::Spec::kLimit;
    f.algorithm = in.algorithm();
    f.limit = in.limit();
    f.window_ms = in.window_ms();
    f.burst = in.burst();
    f.calendar = in.calendar();
  }
  f.reset = check.reset();
  f.refund = check.refund();
  f.drain_on_deny = check.drain_on_deny();
  f.shadow = check.shadow();
  decode_check(f, call);
}

ResultFields result_fields(const CheckOutcome& outcome) {
  const auto& d = outcome.decision;
  ResultFields r;
  // The codes a node answers are wire codes up to kInternal, and kMemoryFull (wire 9).
  r.code = outcome.code == CheckCode::kMemoryFull ? wire::MEMORY_FULL
                                                  : static_cast<int32_t>(outcome.code);
  // MEMORY_FULL is decided too (by the degrade mode): `allowed` is that decision.
  r.allowed =
      (outcome.code == CheckCode::kOk || outcome.code == CheckCode::kMemoryFull) && d.allowed;
  r.limit = d.limit;
  r.remaining = d.remaining;
  r.reset_at_ms = floor_millis(d.reset_at);
  // -1: the cost can never pass (above the whole budget), as DRL.CHECK and CL.THROTTLE say.
  r.retry_after_ms = d.retry_after == limits::kNever ? -1 : ceil_millis(d.retry_after);
  r.message = outcome.message;
  r.degraded = outcome.degraded;
  r.shadow_denied = d.shadow_denied;
  r.delay_ms = ceil_millis(d.delay);
  r.decided_by = outcome.decided_by;
  r.reset_by_eviction = d.reset_by_eviction;
  return r;
}

void encode_outcome(const CheckOutcome& outcome, wire::CheckResult& result) {
  const ResultFields r = result_fields(outcome);
  result.set_code(static_cast<wire::Code>(r.code));
  result.set_allowed(r.allowed);
  result.set_limit(r.limit);
  result.set_remaining(r.remaining);
  result.set_reset_at_ms(r.reset_at_ms);
  result.set_retry_after_ms(r.retry_after_ms);
  result.set_message(r.message.data(), r.message.size());
  result.set_degraded(r.degraded);
  result.set_shadow_denied(r.shadow_denied);
  result.set_reset_by_eviction(r.reset_by_eviction);
  result.set_delay_ms(r.delay_ms);
  result.set_decided_by(r.decided_by.data(), r.decided_by.size());
}

}  // namespace drl::service
