// Internal to the limits layer: the Generic Cell Rate Algorithm shared by the token
// bucket (policing) and the leaky bucket (shaping). Exact: the theoretical arrival time
// (TAT) is kept in units of 1/limit ns, so an emission interval of window/limit ns is a
// whole number of those units and no rounding ever accumulates.
#pragma once
#include "limits/limit.h"
#include "limits/state.h"

namespace drl::limits::detail {

// Decides `req` for a bucket of `capacity` units refilled at limit per window. With
// `shaping`, an admitted request also gets Decision::delay: the time until its last unit
// leaves the queue (nginx limit_req with burst and no nodelay).
Decision gcra_decide(const Limit& limit, uint64_t capacity, bool shaping, State& state,
                     const Request& req, TimePoint now);

// The TAT rounded up: from then on the bucket is full and a zeroed state is equivalent.
TimePoint gcra_expires_at(const Limit& limit, const State& state);

}  // namespace drl::limits::detail
