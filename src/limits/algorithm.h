// The interface every algorithm implements; a new algorithm is a new file plus one line
// in algorithm_for(). Implementations are stateless singletons: all per-key data is in
// the State (and SlidingLog) the caller passes in. Thread-safe; the caller serialises
// access to one key's state.
#pragma once
#include "limits/limit.h"
#include "limits/state.h"

namespace drl::limits {

class RateAlgorithm {
 public:
  virtual ~RateAlgorithm() = default;
  // Decides `req` for one key at `now`, updating `state` (and `log` for the sliding log;
  // `log` is null for the other algorithms). `state` starts zeroed for a new key.
  // Precondition: validate(limit) == "".
  virtual Decision decide(const Limit& limit, State& state, SlidingLog* log, const Request& req,
                          TimePoint now) const = 0;
  // The earliest time at which this state can no longer change any decision, i.e. a
  // zeroed state would decide identically from then on. The store drops the key then.
  virtual TimePoint expires_at(const Limit& limit, const State& state,
                               const SlidingLog* log) const = 0;
};

const RateAlgorithm& algorithm_for(Algorithm a);

// One call for callers that do not care which algorithm: handles reset and shadow
// uniformly, then dispatches. Same contract as RateAlgorithm::decide.
Decision decide(const Limit& limit, State& state, SlidingLog* log, const Request& req,
                TimePoint now);

}  // namespace drl::limits
