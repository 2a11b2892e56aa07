// Conversions between the wire messages (drl.wire.*) and the engine's value types.
// Pure functions; thread-safe.
#pragma once
#include "drl/client.pb.h"
#include "drl/status.h"
#include "limits/limit.h"
#include "service/check_decider.h"

namespace drl::service {

// Fills `call` from `check`; views borrow `check`. Records in call.code what only the wire can
// say is wrong (no limit, an unknown algorithm or calendar, a window beyond nanoseconds); the
// rest is validate_check()'s (service/check_validator.h), which reports both.
void decode_check(const wire::Check& check, CheckCall& call);

// Fills `result` (which may hold a previous value: every field is set).
void encode_outcome(const CheckOutcome& outcome, wire::CheckResult& result);

// An enum value this build does not know (a newer client, or garbage) is an error, never a
// default: an unknown algorithm must not be decided as a token bucket.
Result<limits::Algorithm> from_wire(wire::Algorithm a);
wire::Algorithm to_wire(limits::Algorithm a);
Result<limits::Calendar> from_wire(wire::Calendar c);
wire::Calendar to_wire(limits::Calendar c);

}  // namespace drl::service
