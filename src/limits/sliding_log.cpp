// Placeholder until the real implementation lands: denies everything.
#include "limits/algorithms.h"

namespace drl::limits::detail {
namespace {

class Stub final : public RateAlgorithm {
 public:
  Decision decide(const Limit& limit, State&, SlidingLog*, const Request&,
                  TimePoint) const override {
    Decision d;
    d.limit = limit.limit;
    d.retry_after = kNever;
    return d;
  }
  TimePoint expires_at(const Limit&, const State&, const SlidingLog*) const override { return 0; }
};

}  // namespace

const RateAlgorithm& sliding_log() {
  static const Stub instance;
  return instance;
}

}  // namespace drl::limits::detail
