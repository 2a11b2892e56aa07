// The only door to real time. I/O shells own a Clock; logic cores receive TimePoints.
#pragma once
#include <chrono>

#include "common/time.h"

namespace drl {

// Interface so the node can run on a simulated clock in tests. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall clock, nanoseconds since the Unix epoch.
  virtual TimePoint now() const = 0;
  // Monotonic clock, for timeouts and durations only.
  virtual Nanos monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  Nanos monotonic() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace drl
