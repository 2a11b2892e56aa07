// How a store treats a key it cannot keep within its memory budget (store.h, backend.h): the
// per-call rule, built from a policy's memory-full and degrade modes.
#pragma once
#include "common/time.h"
#include "limits/limit.h"
#include "limits/policy.h"

namespace drl::store {

using limits::MemoryFullMode;

// How one apply() treats a key it cannot store without evicting a live one.
struct MemoryRule {
  MemoryFullMode on_full = MemoryFullMode::kNodeDefault;
  // kRefuse: the answer an untracked key gets (the policy's degrade mode: open allows).
  bool admit_untracked = false;
};

// The rule of a policy (or inline limit): its memory-full mode, and its degrade mode for
// keys left untracked. Only `open` admits them: `closed` denies, and so does `local`, which
// has no local count to enforce when the key cannot be stored (docs/design.md).
inline MemoryRule memory_rule(MemoryFullMode mode, limits::DegradeMode degrade) {
  return MemoryRule{.on_full = mode, .admit_untracked = degrade == limits::DegradeMode::kOpen};
}

// Decision::retry_after of a check refused for lack of memory (a hint: memory may come back
// as keys expire).
inline constexpr Nanos kUntrackedRetryAfter = kSecond;

}  // namespace drl::store
