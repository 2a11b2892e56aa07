#include "limits/gcra.h"

#include <algorithm>
#include <cstdint>

#include "limits/wide.h"

namespace drl::limits::detail {
namespace {

// Floor division for b > 0. The operands are offsets from `now` in practice and fit in 64
// bits; the 64-bit path avoids the slow 128-bit division (docs/optimization.md).
Wide floor_div(Wide a, Wide b) {
  constexpr Wide kLow = INT64_MIN;
  constexpr Wide kHigh = INT64_MAX;
  if (a >= kLow && a <= kHigh && b <= kHigh) {
    const int64_t a64 = static_cast<int64_t>(a);
    const int64_t b64 = static_cast<int64_t>(b);
    const int64_t q = a64 / b64;
    return (a64 % b64 != 0 && a64 < 0) ? q - 1 : q;
  }
  Wide q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

Wide ceil_div(Wide a, Wide b) { return -floor_div(-a, b); }

// TAT in units of 1/limit ns. A fraction left over from a larger limit (the limit was
// changed) is clamped; the error is under one nanosecond.
Wide load_tat(const Limit& limit, const State& state) {
  const uint64_t fraction = std::min<uint64_t>(state.a, limit.limit - 1);
  return static_cast<Wide>(state.t) * limit.limit + fraction;
}

// Stores `tat` (>= now in TAT units), dividing only its offset from now.
void store_tat(const Limit& limit, State& state, TimePoint now, Wide tat) {
  const Wide offset = tat - static_cast<Wide>(now) * limit.limit;
  const Wide whole = floor_div(offset, limit.limit);
  state.t = now + static_cast<TimePoint>(whole);
  state.a = static_cast<uint32_t>(offset - whole * limit.limit);
  state.b = 0;
}

}  // namespace

Decision gcra_decide(const Limit& limit, uint64_t capacity, bool shaping, State& state,
                     const Request& req, TimePoint now) {
  const Wide rate = limit.limit;       // units of TAT per ns
  const Wide interval = limit.window;  // one emission interval, in TAT units
  const Wide now_units = static_cast<Wide>(now) * rate;
  const Wide full_span = static_cast<Wide>(capacity) * interval;
  const Wide stored = load_tat(limit, state);
  const Wide tat = std::max(stored, now_units);

  Decision d;
  d.limit = capacity;
  // Fills remaining/reset_at from the bucket as it stands after the decision.
  auto describe = [&](Wide after) {
    const Wide room = full_span - (after - now_units);
    d.remaining = room <= 0 ? 0 : static_cast<uint64_t>(floor_div(room, interval));
    d.reset_at = now + static_cast<TimePoint>(ceil_div(after - now_units, rate));
  };

  if (req.refund) {
    d.allowed = true;
    Wide after = tat;
    if (stored > now_units && req.cost > 0) {
      const Wide give = static_cast<Wide>(std::min<uint64_t>(req.cost, capacity)) * interval;
      after = std::max(stored - give, now_units);
      store_tat(limit, state, now, after);
    }
    describe(after);
    return d;
  }

  if (req.cost > capacity) {
    d.retry_after = kNever;
  } else {
    const Wide after = tat + static_cast<Wide>(req.cost) * interval;
    if (after - now_units <= full_span) {
      d.allowed = true;
      if (req.cost > 0) {
        store_tat(limit, state, now, after);
        if (shaping) d.delay = static_cast<Nanos>(ceil_div(after - interval - now_units, rate));
      }
      describe(req.cost > 0 ? after : tat);
      return d;
    }
  }

  Wide after = tat;
  if (req.drain_on_deny && tat < now_units + full_span) {
    after = now_units + full_span;
    store_tat(limit, state, now, after);
  }
  describe(after);
  if (d.retry_after != kNever) {
    // Earliest t with after + cost x interval - t x rate <= full_span.
    const Wide wait = after + static_cast<Wide>(req.cost) * interval - full_span - now_units;
    d.retry_after = static_cast<Nanos>(ceil_div(wait, rate));
  }
  return d;
}

TimePoint gcra_expires_at(const Limit& limit, const State& state) {
  // The fraction is below one ns: the TAT rounded up.
  return state.t + (std::min<uint64_t>(state.a, limit.limit - 1) > 0 ? 1 : 0);
}

}  // namespace drl::limits::detail
