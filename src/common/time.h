// Time as the logic cores see it: plain integers passed in by the caller.
// Cores never read a clock; the I/O shells (src/net, src/node) do, through Clock.
#pragma once
#include <cstdint>

namespace drl {

// Nanoseconds. A TimePoint is nanoseconds since the Unix epoch on the deciding node's
// wall clock (fixed and calendar windows are aligned to UTC, so the epoch matters).
using Nanos = int64_t;
using TimePoint = int64_t;

inline constexpr Nanos kMicrosecond = 1'000;
inline constexpr Nanos kMillisecond = 1'000'000;
inline constexpr Nanos kSecond = 1'000'000'000;
inline constexpr Nanos kMinute = 60 * kSecond;
inline constexpr Nanos kHour = 60 * kMinute;
inline constexpr Nanos kDay = 24 * kHour;

// Rounds a duration up to whole milliseconds (retry-after must never be early).
constexpr int64_t ceil_millis(Nanos n) { return n <= 0 ? 0 : (n + kMillisecond - 1) / kMillisecond; }
constexpr int64_t floor_millis(TimePoint t) { return t >= 0 ? t / kMillisecond : -((-t + kMillisecond - 1) / kMillisecond); }

}  // namespace drl
