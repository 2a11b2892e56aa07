// Conversions between the wire messages (drl.wire.*) and the engine's value types.
// Pure functions; thread-safe.
#pragma once
#include "drl/client.pb.h"
#include "limits/limit.h"
#include "service/check_decider.h"

namespace drl::service {

// Fills `call` from `check`; views borrow `check`. Sets call.code on a refusal.
void decode_check(const wire::Check& check, CheckCall& call);

// Fills `result` (which may hold a previous value: every field is set).
void encode_outcome(const CheckOutcome& outcome, wire::CheckResult& result);

limits::Algorithm from_wire(wire::Algorithm a);
wire::Algorithm to_wire(limits::Algorithm a);
limits::Calendar from_wire(wire::Calendar c);
wire::Calendar to_wire(limits::Calendar c);

}  // namespace drl::service
