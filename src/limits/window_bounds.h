// Internal to the limits layer: which window a time falls in. Epoch-aligned windows of
// `window` ns, or UTC calendar windows (Unix time has no leap seconds, so an hour and a day
// are fixed lengths; weeks are ISO weeks starting Monday; months use civil dates).
#pragma once
#include "limits/limit.h"

namespace drl::limits::detail {

struct WindowBounds {
  TimePoint start = 0;
  TimePoint end = 0;  // exclusive
};

// The window containing `t` (floor semantics, also before the epoch).
WindowBounds window_containing(const Limit& limit, TimePoint t);

// Floor division for times, correct for negative values.
inline int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace drl::limits::detail
