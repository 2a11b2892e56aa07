// Sliding window counter: the two-window weighted approximation. The estimate at `now`
// is previous x (window - elapsed) / window + current, compared exactly (128-bit, no
// floating point). State: t = current window start (epoch-aligned), a = current count,
// b = previous count. A clock step back is treated as time standing still at t.
#include <algorithm>

#include "limits/algorithms.h"
#include "limits/wide.h"
#include "limits/window_bounds.h"

namespace drl::limits::detail {
namespace {

class SlidingWindow final : public RateAlgorithm {
 public:
  Decision decide(const Limit& limit, State& state, SlidingLog*, const Request& req,
                  TimePoint now) const override {
    const Nanos window = limit.window;
    const Wide limit_w = limit.limit;
    // Roll the state forward to the window of `now` (or keep it if the clock went back).
    TimePoint start = floor_div(now, window) * window;
    uint64_t current = 0;
    uint64_t previous = 0;
    if (state.a > 0 || state.b > 0) {
      if (start <= state.t) {
        start = state.t;
        current = state.a;
        previous = state.b;
      } else if (start == state.t + window) {
        previous = state.a;
      }
    }
    const Nanos elapsed = std::max<Nanos>(now - start, 0);
    // Weighted use, scaled by window: previous x (window - elapsed) + current x window.
    auto used_scaled = [&](uint64_t cur) {
      return static_cast<Wide>(previous) * (window - elapsed) + static_cast<Wide>(cur) * window;
    };
    auto commit = [&](uint64_t cur) {
      current = cur;
      state = (current == 0 && previous == 0)
                  ? State{}
                  : State{start, static_cast<uint32_t>(current), static_cast<uint32_t>(previous)};
    };

    Decision d;
    d.limit = limit.limit;
    if (req.refund) {
      d.allowed = true;
      if (req.cost > 0 && (current > 0 || previous > 0)) {
        // Give back from the current window first, then from the previous one.
        const uint64_t from_current = std::min(current, req.cost);
        previous -= std::min(previous, req.cost - from_current);
        commit(current - from_current);
      }
    } else if (req.cost <= limit.limit && used_scaled(current + req.cost) <= limit_w * window) {
      d.allowed = true;
      if (req.cost > 0) commit(current + req.cost);
    } else {
      if (req.drain_on_deny) {
        // Fill the current window up to what the estimate allows.
        const Wide room = limit_w * window - used_scaled(current);
        if (room >= window) commit(current + static_cast<uint64_t>(room / window));
      }
      d.retry_after = req.cost > limit.limit
                          ? kNever
                          : passes_at(limit, start, previous, current, req.cost) - now;
    }
    const Wide room = limit_w * window - used_scaled(current);
    d.remaining = room <= 0 ? 0 : static_cast<uint64_t>(room / window);
    if (current > 0) {
      d.reset_at = start + 2 * window;
    } else if (previous > 0) {
      d.reset_at = start + window;
    } else {
      d.reset_at = now;
    }
    d.reset_at = std::max(d.reset_at, now);
    return d;
  }

  TimePoint expires_at(const Limit& limit, const State& state, const SlidingLog*) const override {
    if (state.a > 0) return state.t + 2 * limit.window;
    if (state.b > 0) return state.t + limit.window;
    return 0;
  }

 private:
  // When `cost` (<= limit) first passes, given the rolled-forward state of window `start`.
  static TimePoint passes_at(const Limit& limit, TimePoint start, uint64_t previous,
                             uint64_t current, uint64_t cost) {
    const Wide window = limit.window;
    // Within this window: need previous x (window - e) <= (limit - current - cost) x window;
    // the smallest such e is window - floor(slack / previous).
    if (current + cost <= limit.limit && previous > 0) {
      const Wide slack = static_cast<Wide>(limit.limit - current - cost) * window;
      const Wide e = window - slack / previous;
      if (e < window) return start + static_cast<Nanos>(e);
    }
    // Next window: previous' = current, current' = 0;
    // need current x (window - e) <= (limit - cost) x window.
    if (current == 0) return start + limit.window;
    const Wide slack = static_cast<Wide>(limit.limit - cost) * window;
    const Wide e = std::max<Wide>(window - slack / current, 0);
    return start + limit.window + static_cast<Nanos>(e);
  }
};

}  // namespace

const RateAlgorithm& sliding_window() {
  static const SlidingWindow instance;
  return instance;
}

}  // namespace drl::limits::detail
