#include <gtest/gtest.h>

#include "limits/support/simulated_key.h"

namespace drl::limits {
namespace {

using testing::SimulatedKey;

constexpr TimePoint kStart = 1'700'000'000 * kSecond / kMinute * kMinute;  // window start

TEST(SlidingWindow, WeighsThePreviousWindow) {
  SimulatedKey key({Algorithm::kSlidingWindow, 10, kMinute, 0, Calendar::kNone});
  EXPECT_TRUE(key.take(kStart + 50 * kSecond, 10).allowed);
  // 15 s into the next window the previous 10 weigh 10 x 45/60 = 7.5: 2 more fit.
  const TimePoint t = kStart + kMinute + 15 * kSecond;
  EXPECT_EQ(key.peek(t).remaining, 2u);
  EXPECT_TRUE(key.take(t, 2).allowed);
  const Decision d = key.take(t);
  EXPECT_FALSE(d.allowed);
  // 10 x (60 - e)/60 + 3 <= 10  <=>  e >= 18 s.
  EXPECT_EQ(d.retry_after, 3 * kSecond);
  EXPECT_EQ(d.reset_at, kStart + 3 * kMinute);
  EXPECT_TRUE(key.take(kStart + kMinute + 18 * kSecond).allowed);
}

TEST(SlidingWindow, RetryCanFallInTheNextWindow) {
  SimulatedKey key({Algorithm::kSlidingWindow, 4, kMinute, 0, Calendar::kNone});
  EXPECT_TRUE(key.take(kStart + 30 * kSecond, 4).allowed);
  // Next window: previous = 4, need 4 x (60 - e)/60 + 2 <= 4  <=>  e >= 30 s.
  EXPECT_EQ(key.take(kStart + 40 * kSecond, 2).retry_after, 50 * kSecond);  // at +90 s
}

TEST(SlidingWindow, ForgetsAfterTwoWindowsAndRefundsCurrentFirst) {
  SimulatedKey key({Algorithm::kSlidingWindow, 10, kMinute, 0, Calendar::kNone});
  key.take(kStart, 4);
  key.take(kStart + kMinute, 3);  // previous 4, current 3
  EXPECT_EQ(key.expires_at(), kStart + 3 * kMinute);
  key.refund(kStart + kMinute, 5);  // 3 from current, 2 from previous
  EXPECT_EQ(key.state().a, 0u);
  EXPECT_EQ(key.state().b, 2u);
  EXPECT_EQ(key.expires_at(), kStart + 2 * kMinute);
  EXPECT_EQ(key.peek(kStart + 2 * kMinute).remaining, 10u);
}

TEST(SlidingWindow, LimitChangeAppliesToTheCurrentEstimate) {
  SimulatedKey key({Algorithm::kSlidingWindow, 10, kMinute, 0, Calendar::kNone});
  key.take(kStart, 6);
  key.limit().limit = 5;
  EXPECT_FALSE(key.take(kStart).allowed);
  EXPECT_EQ(key.peek(kStart).remaining, 0u);
}

}  // namespace
}  // namespace drl::limits
