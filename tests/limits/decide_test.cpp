// What limits::decide() does the same way for every algorithm: reset, shadow, drain,
// peek, refund caps, cost above the budget, validation, and expires_at.
#include <gtest/gtest.h>

#include "limits/support/simulated_key.h"

namespace drl::limits {
namespace {

using testing::kEpochish;
using testing::SimulatedKey;

class EveryAlgorithm : public ::testing::TestWithParam<Algorithm> {
 protected:
  Limit five_per_second() const { return {GetParam(), 5, kSecond, 0, Calendar::kNone}; }
  // Full budget for this algorithm under five_per_second().
  uint64_t budget() const { return GetParam() == Algorithm::kLeakyBucket ? 1 : 5; }
};

TEST_P(EveryAlgorithm, ShadowAllowsReportsAndDoesNotConsumeOnWouldDeny) {
  SimulatedKey key(five_per_second());
  EXPECT_TRUE(key.take(kEpochish, budget()).allowed);
  const State before = key.state();
  const SlidingLog log_before = key.log();
  const Decision d = key.shadow(kEpochish);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.shadow_denied);
  EXPECT_GT(d.retry_after, 0);
  EXPECT_EQ(key.state(), before);
  EXPECT_EQ(key.log(), log_before);
  Request shadow_drain;
  shadow_drain.shadow = true;
  shadow_drain.drain_on_deny = true;
  EXPECT_TRUE(key.send(kEpochish, budget(), shadow_drain).shadow_denied);
  EXPECT_EQ(key.state(), before);
}

TEST_P(EveryAlgorithm, ShadowConsumesWhenItWouldAllow) {
  SimulatedKey key(five_per_second());
  const Decision d = key.shadow(kEpochish, budget());
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.shadow_denied);
  EXPECT_FALSE(key.take(kEpochish).allowed);
}

TEST_P(EveryAlgorithm, ResetForgetsTheKey) {
  SimulatedKey key(five_per_second());
  key.take(kEpochish, budget());
  EXPECT_FALSE(key.take(kEpochish).allowed);
  const Decision d = key.reset(kEpochish, 0);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, budget());
  EXPECT_EQ(d.reset_at, kEpochish);
  EXPECT_TRUE(key.take(kEpochish, budget()).allowed);
}

TEST_P(EveryAlgorithm, PeekConsumesNothing) {
  SimulatedKey key(five_per_second());
  key.take(kEpochish, budget() - 1);
  const State before = key.state();
  const Decision d = key.peek(kEpochish);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 1u);
  EXPECT_EQ(key.state(), before);
  EXPECT_TRUE(key.take(kEpochish).allowed);
}

// docs/protocol.md: a peek is always allowed (a cost of 0 always fits); whether a real check
// would pass is told by `remaining` (>= 1: a check of cost 1 passes now) and retry_after 0.
TEST_P(EveryAlgorithm, PeekOfASpentKeyIsAllowedWithNothingRemaining) {
  SimulatedKey key(five_per_second());
  key.take(kEpochish, budget());
  const Decision d = key.peek(kEpochish);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.shadow_denied);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.retry_after, 0);
  EXPECT_FALSE(key.take(kEpochish).allowed);
}

TEST_P(EveryAlgorithm, CostAboveTheBudgetCanNeverPass) {
  SimulatedKey key(five_per_second());
  const Decision d = key.take(kEpochish, budget() + 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, kNever);
  EXPECT_EQ(d.remaining, budget());
  EXPECT_FALSE(key.take(kEpochish, ~uint64_t{0}).allowed);  // no overflow
}

TEST_P(EveryAlgorithm, DrainOnDenyEmptiesTheBudget) {
  SimulatedKey key(Limit{GetParam(), 5, kSecond, GetParam() == Algorithm::kLeakyBucket ? 4u : 0u,
                         Calendar::kNone});
  key.take(kEpochish, 2);
  const Decision d = key.drain(kEpochish, 4);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_FALSE(key.take(kEpochish).allowed);
}

TEST_P(EveryAlgorithm, RefundNeverExceedsTheFullBudget) {
  SimulatedKey key(five_per_second());
  key.take(kEpochish, 1);
  EXPECT_EQ(key.refund(kEpochish, 1000).remaining, budget());
  EXPECT_EQ(key.refund(kEpochish, ~uint64_t{0}).remaining, budget());
  EXPECT_TRUE(key.take(kEpochish, budget()).allowed);
  EXPECT_FALSE(key.take(kEpochish).allowed);
}

TEST_P(EveryAlgorithm, ZeroedStateDecidesIdenticallyAfterExpiry) {
  SimulatedKey key(five_per_second());
  key.take(kEpochish, budget());
  const TimePoint expiry = key.expires_at();
  EXPECT_GT(expiry, kEpochish);
  SimulatedKey fresh(five_per_second());
  for (TimePoint t : {expiry, expiry + 1, expiry + 3 * kSecond}) {
    SimulatedKey copy = key;
    SimulatedKey zero = fresh;
    const Decision a = copy.take(t, budget());
    const Decision b = zero.take(t, budget());
    EXPECT_EQ(a.allowed, b.allowed);
    EXPECT_EQ(a.remaining, b.remaining);
    EXPECT_EQ(a.reset_at, b.reset_at);
  }
}

INSTANTIATE_TEST_SUITE_P(Limits, EveryAlgorithm,
                         ::testing::Values(Algorithm::kTokenBucket, Algorithm::kLeakyBucket,
                                           Algorithm::kFixedWindow, Algorithm::kSlidingLog,
                                           Algorithm::kSlidingWindow),
                         [](const auto& info) { return std::string(algorithm_name(info.param)); });

TEST(Validate, NamesTheProblem) {
  EXPECT_EQ(validate({Algorithm::kTokenBucket, 0, kSecond, 0, Calendar::kNone}),
            "limit must be > 0");
  EXPECT_EQ(validate({Algorithm::kTokenBucket, 1, 0, 0, Calendar::kNone}), "window must be > 0");
  EXPECT_NE(validate({Algorithm::kTokenBucket, 1, kSecond, kMaxCount + 1, Calendar::kNone}), "");
  // The largest limit and burst are accepted, one more is not (a mutant accepting 2^32
  // survived scripts/mutants.sh without these two lines).
  EXPECT_EQ(validate({Algorithm::kTokenBucket, kMaxCount, kSecond, kMaxCount, Calendar::kNone}),
            "");
  EXPECT_EQ(validate({Algorithm::kTokenBucket, kMaxCount + 1, kSecond, 0, Calendar::kNone}),
            "limit must be at most 4294967295");
  EXPECT_NE(validate({Algorithm::kTokenBucket, 1, kDay, 10'000, Calendar::kNone}), "");  // 27 years
  EXPECT_NE(validate({Algorithm::kSlidingWindow, 1, kSecond, 0, Calendar::kMonth}), "");
  EXPECT_EQ(validate({Algorithm::kFixedWindow, 1, 0, 0, Calendar::kMonth}), "");
  EXPECT_NE(validate({static_cast<Algorithm>(9), 1, kSecond, 0, Calendar::kNone}), "");
}

TEST(Names, RoundTrip) {
  for (Algorithm a : {Algorithm::kTokenBucket, Algorithm::kLeakyBucket, Algorithm::kFixedWindow,
                      Algorithm::kSlidingLog, Algorithm::kSlidingWindow}) {
    Algorithm parsed{};
    ASSERT_TRUE(parse_algorithm(algorithm_name(a), parsed));
    EXPECT_EQ(parsed, a);
  }
  Algorithm unused{};
  EXPECT_FALSE(parse_algorithm("token-bucket", unused));
}

}  // namespace
}  // namespace drl::limits
