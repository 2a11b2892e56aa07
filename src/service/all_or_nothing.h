// All or nothing for a group of checks, over any CheckDecider: when any check of the group is
// denied (or cannot be decided), none stays charged. Used by the Envoy RLS door for the
// descriptors of one request (envoyproxy/ratelimit charges each of them regardless: its #185),
// and by the native and HTTP doors for a request that sets all_or_nothing.
//
// How: reserve, then commit or refund. The group is decided as usual (each check charged on its
// key's owner, in one pass, concurrently); if every check is allowed that charge is the
// commit. Otherwise every check that was charged is refunded by a second pass (Request::refund
// with the same cost), except a charge whose key is already back to its full budget on this
// node's clock (reset_at passed: a fixed window that has ended, where a refund would land in the
// next window). The guarantees, with the
// reasoning, are in docs/design.md ("All or nothing"): never more admitted than each limit; a
// denied group's reservation makes other checks of its keys see less only until its refunds
// land (about two round trips to the owners, never past the group's deadline); a refund lost to
// a crash leaves the reservation charged (fewer admissions, never more).
//
// Thread-safe: decide_all_or_nothing may be called from any thread; `done` runs once, on the
// thread that completes the last pass.
#pragma once
#include <span>

#include "common/clock.h"
#include "service/check_decider.h"

namespace drl::service {

// Same contract as CheckDecider::decide. The outcomes given to `done`: when the group is
// refused, every charged check reads as allowed with the remaining its refund left, and the
// group's first denial or error is as decided; when the group passes, as decided.
// `decider` and `clock` must outlive the call's completion.
void decide_all_or_nothing(CheckDecider& decider, const Clock& clock,
                           std::span<const CheckCall> calls, CheckCompletion done);

// True when a group decided as `outcomes` must be refunded: a check was denied (not in shadow
// mode) or not decided. A MEMORY_FULL check is decided (by its policy's degrade mode): it
// refuses the group only when denied.
bool group_refused(std::span<const CheckOutcome> outcomes);

}  // namespace drl::service
