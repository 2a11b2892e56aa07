// Token bucket as GCRA: one timestamp per key. Capacity = burst (0 means limit), refilled
// at limit per window.
#include "limits/algorithms.h"
#include "limits/gcra.h"

namespace drl::limits::detail {
namespace {

uint64_t capacity_of(const Limit& limit) { return limit.burst == 0 ? limit.limit : limit.burst; }

class TokenBucket final : public RateAlgorithm {
 public:
  Decision decide(const Limit& limit, State& state, SlidingLog*, const Request& req,
                  TimePoint now) const override {
    return gcra_decide(limit, capacity_of(limit), /*shaping=*/false, state, req, now);
  }
  TimePoint expires_at(const Limit& limit, const State& state, const SlidingLog*) const override {
    return gcra_expires_at(limit, state);
  }
};

}  // namespace

const RateAlgorithm& token_bucket() {
  static const TokenBucket instance;
  return instance;
}

}  // namespace drl::limits::detail
