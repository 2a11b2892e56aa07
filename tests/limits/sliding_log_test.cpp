#include <gtest/gtest.h>

#include "limits/support/simulated_key.h"

namespace drl::limits {
namespace {

using testing::kEpochish;
using testing::SimulatedKey;

TEST(SlidingLog, ExactOverAnyWindow) {
  SimulatedKey key({Algorithm::kSlidingLog, 3, kSecond, 0, Calendar::kNone});
  const TimePoint t = kEpochish;
  EXPECT_TRUE(key.take(t).allowed);
  EXPECT_TRUE(key.take(t + 400 * kMillisecond, 2).allowed);
  const Decision d = key.take(t + 900 * kMillisecond);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 100 * kMillisecond);  // the first entry leaves at t + 1 s
  EXPECT_EQ(d.reset_at, t + 1400 * kMillisecond);
  EXPECT_FALSE(key.take(t + kSecond - 1).allowed);
  EXPECT_TRUE(key.take(t + kSecond).allowed);
  // Needing two units means waiting for the two oldest entries.
  EXPECT_EQ(key.take(t + kSecond, 2).retry_after, 400 * kMillisecond);
  EXPECT_EQ(key.log().size(), 3u);
}

TEST(SlidingLog, ClockStepBackStampsNoEarlierThanTheNewest) {
  SimulatedKey key({Algorithm::kSlidingLog, 2, kSecond, 0, Calendar::kNone});
  EXPECT_TRUE(key.take(kEpochish).allowed);
  EXPECT_TRUE(key.take(kEpochish - 500 * kMillisecond).allowed);
  EXPECT_EQ(key.log().back(), kEpochish);
  EXPECT_FALSE(key.take(kEpochish + 999 * kMillisecond).allowed);
  EXPECT_TRUE(key.take(kEpochish + kSecond).allowed);
}

TEST(SlidingLog, RefundDropsNewestAndExpiryIsTheNewestPlusWindow) {
  SimulatedKey key({Algorithm::kSlidingLog, 5, kMinute, 0, Calendar::kNone});
  key.take(kEpochish, 2);
  key.take(kEpochish + kSecond, 2);
  EXPECT_EQ(key.expires_at(), kEpochish + kSecond + kMinute);
  EXPECT_EQ(key.refund(kEpochish + kSecond, 3).remaining, 4u);
  EXPECT_EQ(key.expires_at(), kEpochish + kMinute);
  EXPECT_EQ(key.refund(kEpochish, 9).remaining, 5u);
  EXPECT_TRUE(key.log().empty());
}

TEST(SlidingLog, ValidateCapsTheLimit) {
  EXPECT_EQ(validate({Algorithm::kSlidingLog, 10'000, kSecond, 0, Calendar::kNone}), "");
  EXPECT_NE(validate({Algorithm::kSlidingLog, 10'001, kSecond, 0, Calendar::kNone}), "");
}

}  // namespace
}  // namespace drl::limits
