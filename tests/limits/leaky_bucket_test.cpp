#include <gtest/gtest.h>

#include "limits/support/simulated_key.h"

namespace drl::limits {
namespace {

using testing::kEpochish;
using testing::SimulatedKey;

// 10 per second (one every 100 ms), up to 3 waiting: nginx limit_req rate=10r/s burst=3.
Limit shaper() { return {Algorithm::kLeakyBucket, 10, kSecond, 3, Calendar::kNone}; }

TEST(LeakyBucket, QueuesUpToBurstWithGrowingDelays) {
  SimulatedKey key(shaper());
  const TimePoint t = kEpochish;
  const Nanos kInterval = 100 * kMillisecond;
  for (int i = 0; i < 4; ++i) {
    const Decision d = key.take(t);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.delay, i * kInterval) << i;
    EXPECT_EQ(d.limit, 4u);
    EXPECT_EQ(d.remaining, 3u - i);
  }
  const Decision full = key.take(t);
  EXPECT_FALSE(full.allowed);
  EXPECT_EQ(full.delay, 0);
  EXPECT_EQ(full.retry_after, kInterval);
  EXPECT_EQ(full.reset_at, t + 4 * kInterval);  // the queue is empty again then
  const Decision later = key.take(t + kInterval);
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.delay, 3 * kInterval);
}

TEST(LeakyBucket, NoBurstAdmitsOnlyAtTheRate) {
  SimulatedKey key({Algorithm::kLeakyBucket, 10, kSecond, 0, Calendar::kNone});
  EXPECT_TRUE(key.take(kEpochish).allowed);
  EXPECT_FALSE(key.take(kEpochish + 99 * kMillisecond).allowed);
  const Decision d = key.take(kEpochish + 100 * kMillisecond);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.delay, 0);
}

TEST(LeakyBucket, CostedRequestWaitsForItsLastUnit) {
  SimulatedKey key(shaper());
  const Decision d = key.take(kEpochish, 3);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.delay, 200 * kMillisecond);
  EXPECT_EQ(key.take(kEpochish, 5).retry_after, kNever);  // more than the queue holds
}

TEST(LeakyBucket, RefundShortensTheQueue) {
  SimulatedKey key(shaper());
  key.take(kEpochish, 4);
  EXPECT_FALSE(key.take(kEpochish).allowed);
  EXPECT_EQ(key.refund(kEpochish, 2).remaining, 2u);
  EXPECT_EQ(key.take(kEpochish).delay, 200 * kMillisecond);
  EXPECT_EQ(key.refund(kEpochish, 100).remaining, 4u);
}

}  // namespace
}  // namespace drl::limits
