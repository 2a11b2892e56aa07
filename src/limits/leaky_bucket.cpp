// Leaky bucket as a queue (traffic shaping). Units leave at limit per window; up to
// `burst` units wait in the queue behind the one leaving now, so the GCRA capacity is
// burst + 1. An admitted request gets the delay until its last unit leaves.
#include "limits/algorithms.h"
#include "limits/gcra.h"

namespace drl::limits::detail {
namespace {

class LeakyBucket final : public RateAlgorithm {
 public:
  Decision decide(const Limit& limit, State& state, SlidingLog*, const Request& req,
                  TimePoint now) const override {
    return gcra_decide(limit, limit.burst + 1, /*shaping=*/true, state, req, now);
  }
  TimePoint expires_at(const Limit& limit, const State& state, const SlidingLog*) const override {
    return gcra_expires_at(limit, state);
  }
};

}  // namespace

const RateAlgorithm& leaky_bucket() {
  static const LeakyBucket instance;
  return instance;
}

}  // namespace drl::limits::detail
