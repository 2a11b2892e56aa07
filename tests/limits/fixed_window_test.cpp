#include <gtest/gtest.h>

#include "limits/support/simulated_key.h"

namespace drl::limits {
namespace {

using testing::kEpochish;
using testing::SimulatedKey;

constexpr TimePoint at_utc(int64_t days_since_epoch, Nanos time_of_day = 0) {
  return days_since_epoch * kDay + time_of_day;
}
// Civil dates used below, as days since 1970-01-01.
constexpr int64_t k2024Jan31 = 19753;
constexpr int64_t k2024Feb01 = 19754;
constexpr int64_t k2024Feb29 = 19782;
constexpr int64_t k2024Mar01 = 19783;
constexpr int64_t k2023Dec31 = 19722;  // a Sunday
constexpr int64_t k2024Jan01 = 19723;  // a Monday

TEST(FixedWindow, CountsPerEpochAlignedWindow) {
  SimulatedKey key({Algorithm::kFixedWindow, 3, kMinute, 0, Calendar::kNone});
  const TimePoint start = kEpochish / kMinute * kMinute;  // a window boundary
  const TimePoint t = start + 10 * kSecond;
  EXPECT_TRUE(key.take(t).allowed);
  EXPECT_TRUE(key.take(t, 2).allowed);
  const Decision d = key.take(t + kSecond);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.reset_at, start + kMinute);
  EXPECT_EQ(d.retry_after, start + kMinute - (t + kSecond));
  EXPECT_FALSE(key.take(start + kMinute - 1).allowed);
  const Decision next = key.take(start + kMinute);
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.remaining, 2u);
}

TEST(FixedWindow, MonthWindowsFollowTheCivilCalendar) {
  SimulatedKey key({Algorithm::kFixedWindow, 2, 0, 0, Calendar::kMonth});
  EXPECT_TRUE(key.take(at_utc(k2024Jan31, 23 * kHour)).allowed);
  EXPECT_TRUE(key.take(at_utc(k2024Jan31, 23 * kHour)).allowed);
  const Decision d = key.take(at_utc(k2024Feb01) - 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reset_at, at_utc(k2024Feb01));
  EXPECT_EQ(d.retry_after, 1);
  EXPECT_TRUE(key.take(at_utc(k2024Feb01)).allowed);
  EXPECT_TRUE(key.take(at_utc(k2024Feb29, 12 * kHour)).allowed);
  const Decision leap = key.take(at_utc(k2024Feb29, 23 * kHour));
  EXPECT_FALSE(leap.allowed);
  EXPECT_EQ(leap.reset_at, at_utc(k2024Mar01));  // 2024 is a leap year
}

TEST(FixedWindow, WeekWindowsStartOnMondayUtc) {
  SimulatedKey key({Algorithm::kFixedWindow, 1, 0, 0, Calendar::kWeek});
  EXPECT_TRUE(key.take(at_utc(k2023Dec31, 12 * kHour)).allowed);
  const Decision d = key.take(at_utc(k2023Dec31, 23 * kHour));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reset_at, at_utc(k2024Jan01));
  EXPECT_TRUE(key.take(at_utc(k2024Jan01)).allowed);
  EXPECT_EQ(key.take(at_utc(k2024Jan01, kHour)).reset_at, at_utc(k2024Jan01 + 7));
}

TEST(FixedWindow, DayAndHourCalendars) {
  SimulatedKey day({Algorithm::kFixedWindow, 1, 0, 0, Calendar::kDay});
  EXPECT_EQ(day.take(at_utc(k2024Jan01, 5 * kHour)).reset_at, at_utc(k2024Jan01 + 1));
  SimulatedKey hour({Algorithm::kFixedWindow, 1, 0, 0, Calendar::kHour});
  EXPECT_EQ(hour.take(at_utc(k2024Jan01, 5 * kHour + 1)).reset_at, at_utc(k2024Jan01, 6 * kHour));
}

TEST(FixedWindow, ClockStepBackKeepsCountingInTheLaterWindow) {
  SimulatedKey key({Algorithm::kFixedWindow, 2, kMinute, 0, Calendar::kNone});
  const TimePoint start = kEpochish / kMinute * kMinute;
  EXPECT_TRUE(key.take(start + kMinute).allowed);
  EXPECT_TRUE(key.take(start + kMinute - kSecond).allowed);  // stepped back a second
  EXPECT_FALSE(key.take(start + 30 * kSecond).allowed);
  EXPECT_TRUE(key.take(start + 2 * kMinute).allowed);  // forward again: a new window
}

TEST(FixedWindow, LimitChangedMidWindowKeepsTheCount) {
  SimulatedKey key({Algorithm::kFixedWindow, 10, kMinute, 0, Calendar::kNone});
  const TimePoint t = kEpochish / kMinute * kMinute;
  EXPECT_TRUE(key.take(t, 6).allowed);
  key.limit().limit = 5;  // lowered below what was already admitted
  const Decision d = key.take(t);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  key.limit().limit = 8;
  EXPECT_EQ(key.peek(t).remaining, 2u);
}

TEST(FixedWindow, RefundDrainPeekAndExpiry) {
  SimulatedKey key({Algorithm::kFixedWindow, 5, kMinute, 0, Calendar::kNone});
  const TimePoint t = kEpochish / kMinute * kMinute;
  EXPECT_TRUE(key.take(t, 3).allowed);
  EXPECT_EQ(key.peek(t).remaining, 2u);
  EXPECT_EQ(key.refund(t, 10).remaining, 5u);  // never above the full budget
  EXPECT_EQ(key.state(), State{});             // nothing counted: forgotten
  EXPECT_TRUE(key.take(t, 1).allowed);
  EXPECT_EQ(key.expires_at(), t + kMinute);
  const Decision drained = key.drain(t, 9);
  EXPECT_FALSE(drained.allowed);
  EXPECT_EQ(drained.remaining, 0u);
  EXPECT_EQ(drained.retry_after, kNever);
  EXPECT_FALSE(key.take(t).allowed);
}

}  // namespace
}  // namespace drl::limits
