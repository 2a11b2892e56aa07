#include "limits/gcra.h"

#include <algorithm>

#include "limits/wide.h"

namespace drl::limits::detail {
namespace {

Wide floor_div(Wide a, Wide b) {
  Wide q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Wide ceil_div(Wide a, Wide b) { return -floor_div(-a, b); }

// TAT in units of 1/limit ns. A fraction left over from a larger limit (the limit was
// changed) is clamped; the error is under one nanosecond.
Wide load_tat(const Limit& limit, const State& state) {
  const uint64_t fraction = std::min<uint64_t>(state.a, limit.limit - 1);
  return static_cast<Wide>(state.t) * limit.limit + fraction;
}

void store_tat(const Limit& limit, State& state, Wide tat) {
  const Wide whole = floor_div(tat, limit.limit);
  state.t = static_cast<TimePoint>(whole);
  state.a = static_cast<uint32_t>(tat - whole * limit.limit);
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
    d.remaining = room <= 0 ? 0 : static_cast<uint64_t>(room / interval);
    d.reset_at = static_cast<TimePoint>(ceil_div(after, rate));
  };

  if (req.refund) {
    d.allowed = true;
    Wide after = tat;
    if (stored > now_units && req.cost > 0) {
      const Wide give = static_cast<Wide>(std::min<uint64_t>(req.cost, capacity)) * interval;
      after = std::max(stored - give, now_units);
      store_tat(limit, state, after);
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
        store_tat(limit, state, after);
        if (shaping) d.delay = static_cast<Nanos>(ceil_div(after - interval - now_units, rate));
      }
      describe(req.cost > 0 ? after : tat);
      return d;
    }
  }

  Wide after = tat;
  if (req.drain_on_deny && tat < now_units + full_span) {
    after = now_units + full_span;
    store_tat(limit, state, after);
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
  return static_cast<TimePoint>(ceil_div(load_tat(limit, state), limit.limit));
}

}  // namespace drl::limits::detail
