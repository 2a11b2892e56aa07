// Fixed window: a count per window (epoch-aligned or UTC calendar). State: t = window
// start, a = admitted in it. A clock step back into an earlier window keeps counting in
// the later one (never admits more than the limit in any window).
#include <algorithm>

#include "limits/algorithms.h"
#include "limits/window_bounds.h"

namespace drl::limits::detail {
namespace {

class FixedWindow final : public RateAlgorithm {
 public:
  Decision decide(const Limit& limit, State& state, SlidingLog*, const Request& req,
                  TimePoint now) const override {
    WindowBounds w = window_containing(limit, now);
    uint64_t count = 0;
    if (state.a > 0 && state.t >= w.start) {
      w = window_containing(limit, state.t);
      count = state.a;
    }
    Decision d;
    d.limit = limit.limit;
    auto commit = [&](uint64_t c) {
      count = c;
      state = c == 0 ? State{} : State{w.start, static_cast<uint32_t>(c), 0};
    };
    if (req.refund) {
      d.allowed = true;
      if (req.cost > 0 && count > 0) commit(count - std::min(count, req.cost));
    } else if (req.cost <= limit.limit && count + req.cost <= limit.limit) {
      d.allowed = true;
      if (req.cost > 0) commit(count + req.cost);
    } else {
      if (req.drain_on_deny && count < limit.limit) commit(limit.limit);
      d.retry_after = req.cost > limit.limit ? kNever : w.end - now;
    }
    d.remaining = count >= limit.limit ? 0 : limit.limit - count;
    d.reset_at = count == 0 ? now : w.end;
    return d;
  }

  TimePoint expires_at(const Limit& limit, const State& state, const SlidingLog*) const override {
    return state.a == 0 ? 0 : window_containing(limit, state.t).end;
  }
};

}  // namespace

const RateAlgorithm& fixed_window() {
  static const FixedWindow instance;
  return instance;
}

}  // namespace drl::limits::detail
