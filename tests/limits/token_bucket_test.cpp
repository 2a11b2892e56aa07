#include <gtest/gtest.h>

#include "limits/algorithm.h"

namespace drl::limits {
namespace {

constexpr TimePoint kStart = 1'700'000'000 * kSecond;

Limit bucket(uint64_t limit, Nanos window, uint64_t burst = 0) {
  return Limit{Algorithm::kTokenBucket, limit, window, burst, Calendar::kNone};
}

Decision ask(const Limit& l, State& s, TimePoint now, uint64_t cost = 1) {
  Request r;
  r.cost = cost;
  return decide(l, s, nullptr, r, now);
}

TEST(TokenBucket, AdmitsCapacityThenRefillsAtRate) {
  const Limit l = bucket(10, kSecond);
  State s;
  for (int i = 0; i < 10; ++i) {
    const Decision d = ask(l, s, kStart);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 9u - i);
    EXPECT_EQ(d.limit, 10u);
  }
  const Decision denied = ask(l, s, kStart);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, 100 * kMillisecond);
  EXPECT_EQ(denied.reset_at, kStart + kSecond);
  EXPECT_FALSE(ask(l, s, kStart + 100 * kMillisecond - 1).allowed);
  EXPECT_TRUE(ask(l, s, kStart + 100 * kMillisecond).allowed);
}

TEST(TokenBucket, NonIntegralIntervalDoesNotDrift) {
  // 3 per second: the interval is 333,333,333.33 ns. From an empty bucket, the i-th token
  // is back exactly at start + i/3 s: one nanosecond earlier it is not, at that instant
  // it is, and only one. An interval rounded either way would drift off within 9,000.
  const Limit l = bucket(3, kSecond);
  State s;
  Request drain;
  drain.cost = 4;
  drain.drain_on_deny = true;
  ASSERT_FALSE(decide(l, s, nullptr, drain, kStart).allowed);
  for (int64_t i = 1; i <= 9000; ++i) {
    const TimePoint t = kStart + (i * kSecond + 2) / 3;
    ASSERT_FALSE(ask(l, s, t - 1).allowed) << i;
    ASSERT_TRUE(ask(l, s, t).allowed) << i;
    ASSERT_FALSE(ask(l, s, t).allowed) << i;
  }
}

TEST(TokenBucket, CostAboveCapacityNeverPasses) {
  const Limit l = bucket(10, kSecond, 5);
  State s;
  const Decision d = ask(l, s, kStart, 6);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, kNever);
  EXPECT_EQ(d.remaining, 5u);
  EXPECT_EQ(s, State{});
}

}  // namespace
}  // namespace drl::limits
