// Conversions between the wire messages (drl.wire.*) and the engine's value types.
// Pure functions; thread-safe.
#pragma once
#include "drl/client.pb.h"
#include "drl/status.h"
#include "limits/limit.h"
#include "service/check_decider.h"

namespace drl::service {

// A wire Check's fields as read, whichever reader read them (the generated class, or
// check_request_scan.h's scanner): enums as their raw values, the spec as given.
struct CheckFields {
  std::string_view key;
  bool has_cost = false;
  uint64_t cost = 0;
  enum class Spec { kNone, kPolicy, kLimit } spec = Spec::kNone;
  std::string_view policy;
  int32_t algorithm = 0;  // InlineLimit, when spec is kLimit
  uint64_t limit = 0;
  uint64_t window_ms = 0;
  uint64_t burst = 0;
  int32_t calendar = 0;
  bool reset = false;
  bool refund = false;
  bool drain_on_deny = false;
  bool shadow = false;
};

// Fills `call` from `check`; views borrow what `check` borrows. Records in call.code what only
// the wire can say is wrong (no limit, an unknown algorithm or calendar, a window beyond
// nanoseconds); the rest is validate_check()'s (service/check_validator.h), which reports both.
void decode_check(const CheckFields& check, CheckCall& call);
// The same, from the generated class; views borrow `check`.
void decode_check(const wire::Check& check, CheckCall& call);

// A CheckResult's fields for an outcome (views borrow it): the one mapping from outcomes to
// the wire, which encode_outcome() and the native door's response writer
// (check_response_writer.h) both write.
struct ResultFields {
  int32_t code = 0;  // wire::Code
  bool allowed = false;
  uint64_t limit = 0;
  uint64_t remaining = 0;
  int64_t reset_at_ms = 0;
  int64_t retry_after_ms = 0;
  std::string_view message;
  bool degraded = false;
  bool shadow_denied = false;
  int64_t delay_ms = 0;
  std::string_view decided_by;
  bool reset_by_eviction = false;
};
ResultFields result_fields(const CheckOutcome& outcome);

// Fills `result` (which may hold a previous value: every field is set).
void encode_outcome(const CheckOutcome& outcome, wire::CheckResult& result);

// An enum value this build does not know (a newer client, or garbage) is an error, never a
// default: an unknown algorithm must not be decided as a token bucket.
Result<limits::Algorithm> from_wire(wire::Algorithm a);
wire::Algorithm to_wire(limits::Algorithm a);
Result<limits::Calendar> from_wire(wire::Calendar c);
wire::Calendar to_wire(limits::Calendar c);

}  // namespace drl::service
