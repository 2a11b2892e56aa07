// A key's state: 16 bytes, trivially copyable, so the store can pack millions of them
// and replication can ship them as bytes. Its meaning depends on the algorithm:
//   token/leaky bucket: t = theoretical arrival time (TAT), whole ns; a = its fraction in
//                       units of 1/limit ns (exact GCRA arithmetic, no drift); b unused
//   fixed window:       t = window start; a = admitted in the window
//   sliding window:     t = current window start; a = current count; b = previous count
//   sliding log:        t, a, b unused; the admission times live in a SlidingLog
// Window algorithms zero the state ({}) when their counts reach 0. No algorithm
// writes anything on a denial without drain_on_deny (the sliding log may drop expired
// entries), which is what lets shadow mode dry-run without a copy.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/time.h"

namespace drl::limits {

struct State {
  TimePoint t = 0;
  uint32_t a = 0;
  uint32_t b = 0;
  bool operator==(const State&) const = default;
};
static_assert(sizeof(State) == 16 && std::is_trivially_copyable_v<State>);

// Admission timestamps of a sliding-log key, oldest first, one entry per unit of cost.
using SlidingLog = std::vector<TimePoint>;

}  // namespace drl::limits
