// One key under one limit, driven through limits::decide() on simulated time, for the
// scenario tests. Not thread-safe.
#pragma once
#include "limits/algorithm.h"

namespace drl::limits::testing {

// 2023-11-14T22:13:20Z, a Tuesday: far from any calendar boundary that tests care about.
inline constexpr TimePoint kEpochish = 1'700'000'000 * kSecond;

class SimulatedKey {
 public:
  explicit SimulatedKey(Limit limit) : limit_(limit) {}

  Decision take(TimePoint now, uint64_t cost = 1) { return send(now, cost, Request{}); }
  Decision peek(TimePoint now) { return send(now, 0, Request{}); }
  Decision refund(TimePoint now, uint64_t cost) {
    Request r;
    r.refund = true;
    return send(now, cost, r);
  }
  Decision drain(TimePoint now, uint64_t cost) {
    Request r;
    r.drain_on_deny = true;
    return send(now, cost, r);
  }
  Decision shadow(TimePoint now, uint64_t cost = 1) {
    Request r;
    r.shadow = true;
    return send(now, cost, r);
  }
  Decision reset(TimePoint now, uint64_t cost = 1) {
    Request r;
    r.reset = true;
    return send(now, cost, r);
  }
  Decision send(TimePoint now, uint64_t cost, Request r) {
    r.cost = cost;
    return decide(limit_, state_, log_ptr(), r, now);
  }
  TimePoint expires_at() const {
    return algorithm_for(limit_.algorithm).expires_at(limit_, state_, &log_);
  }

  Limit& limit() { return limit_; }
  const State& state() const { return state_; }
  const SlidingLog& log() const { return log_; }

 private:
  SlidingLog* log_ptr() { return limit_.algorithm == Algorithm::kSlidingLog ? &log_ : nullptr; }
  Limit limit_;
  State state_;
  SlidingLog log_;
};

}  // namespace drl::limits::testing
