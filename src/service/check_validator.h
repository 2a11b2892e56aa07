// The one validator of a check: every door's checks (native frames, RESP, and whatever door
// comes next) pass through validate_check() before a decider spends anything on them. Pure
// function; thread-safe.
#pragma once
#include "drl/status.h"
#include "service/check_decider.h"

namespace drl::service {

// OK, or the code (kInvalidKey, kInvalidCost, kMissingLimit, kInvalidLimit) and the sentence
// the client gets. Also reports a refusal its door's decoder recorded in call.code (an unknown
// algorithm or calendar, a window too long for nanoseconds, no limit at all).
Status validate_check(const CheckCall& call);

}  // namespace drl::service
