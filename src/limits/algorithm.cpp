#include "limits/algorithm.h"

#include "limits/algorithms.h"

namespace drl::limits {

const RateAlgorithm& algorithm_for(Algorithm a) {
  switch (a) {
    case Algorithm::kLeakyBucket:
      return detail::leaky_bucket();
    case Algorithm::kFixedWindow:
      return detail::fixed_window();
    case Algorithm::kSlidingLog:
      return detail::sliding_log();
    case Algorithm::kSlidingWindow:
      return detail::sliding_window();
    case Algorithm::kTokenBucket:
    default:
      return detail::token_bucket();
  }
}

Decision decide(const Limit& limit, State& state, SlidingLog* log, const Request& req,
                TimePoint now) {
  if (req.reset) {
    state = State{};
    if (log != nullptr) log->clear();
  }
  const RateAlgorithm& algorithm = algorithm_for(limit.algorithm);
  if (!req.shadow) return algorithm.decide(limit, state, log, req, now);
  // A denial without drain writes nothing (state.h), so the dry run needs no copy.
  Request dry = req;
  dry.drain_on_deny = false;
  Decision d = algorithm.decide(limit, state, log, dry, now);
  if (!d.allowed) {
    d.allowed = true;
    d.shadow_denied = true;
  }
  return d;
}

}  // namespace drl::limits
