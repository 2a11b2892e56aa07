#include "limits/duration.h"

#include <gtest/gtest.h>

#include "limits/denial.h"

namespace drl::limits {
namespace {

TEST(Duration, ParsesUnitsAndCompounds) {
  EXPECT_EQ(parse_duration("500ms"), 500 * kMillisecond);
  EXPECT_EQ(parse_duration("1s"), kSecond);
  EXPECT_EQ(parse_duration("1m"), kMinute);
  EXPECT_EQ(parse_duration("1h"), kHour);
  EXPECT_EQ(parse_duration("1d"), kDay);
  EXPECT_EQ(parse_duration("30d"), 30 * kDay);
  EXPECT_EQ(parse_duration("2w"), 14 * kDay);
  EXPECT_EQ(parse_duration("1h30m"), 90 * kMinute);
  EXPECT_EQ(parse_duration("1.5s"), 1500 * kMillisecond);
  EXPECT_EQ(parse_duration("250us"), 250 * kMicrosecond);
  EXPECT_EQ(parse_duration("10ns"), 10);
  EXPECT_EQ(parse_duration("0"), 0);
  EXPECT_EQ(parse_duration("0s"), 0);
}

TEST(Duration, RejectsWithAClearReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty duration"},
      {"5", "missing unit in duration '5'"},
      {"5x", "unknown unit 'x' in duration '5x'"},
      {"-1s", "duration '-1s' must not be negative"},
      {"30m1h", "units in duration '30m1h' must go from largest to smallest"},
      {"1s1s", "units in duration '1s1s' must go from largest to smallest"},
      {"ms", "expected a number in duration 'ms'"},
      {"1 s", "missing unit"},
      {"99999999999999999999d", "is too long"},
      {"200000d", "is too long"},
  };
  for (const auto& [text, reason] : cases) {
    std::string error;
    EXPECT_EQ(parse_duration(text, &error), std::nullopt) << text;
    EXPECT_NE(error.find(reason), std::string::npos) << text << " -> " << error;
  }
}

TEST(Duration, FormatsCanonicallyAndRoundTrips) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(kMinute), "1m");
  EXPECT_EQ(format_duration(90 * kSecond), "1m30s");
  EXPECT_EQ(format_duration(1400 * kMillisecond), "1s400ms");
  EXPECT_EQ(format_duration(30 * kDay), "30d");
  EXPECT_EQ(format_duration(-kSecond), "-1s");
  for (Nanos n : {Nanos{1}, 999 * kMicrosecond + 1, 3 * kDay + 7, kHour + kMillisecond}) {
    EXPECT_EQ(parse_duration(format_duration(n)), n);
  }
}

TEST(Duration, WaitsRoundUp) {
  EXPECT_EQ(format_wait(0), "0 s");
  EXPECT_EQ(format_wait(1), "1 ms");
  EXPECT_EQ(format_wait(250 * kMillisecond), "250 ms");
  EXPECT_EQ(format_wait(1350 * kMillisecond), "1.4 s");
  EXPECT_EQ(format_wait(2 * kSecond), "2 s");
  EXPECT_EQ(format_wait(65 * kSecond - 1), "1m5s");
}

TEST(Denial, DescribesDenialsInWords) {
  const Limit per_minute{Algorithm::kFixedWindow, 100, kMinute, 0, Calendar::kNone};
  Decision d;
  d.limit = 100;
  d.retry_after = 1400 * kMillisecond;
  EXPECT_EQ(describe_denial("user:42", per_minute, d),
            "user:42 exceeded 100 per 1m; retry in 1.4 s");
  d.retry_after = kNever;
  EXPECT_EQ(describe_denial("user:42", per_minute, d),
            "user:42 asked for more than 100 per 1m allows at once; it can never pass");
  d.allowed = true;
  d.shadow_denied = true;
  d.retry_after = 2 * kSecond;
  EXPECT_EQ(describe_denial("k", per_minute, d),
            "k would have exceeded 100 per 1m (shadow mode); retry in 2 s");
  d.shadow_denied = false;
  d.remaining = 99;
  EXPECT_EQ(describe_denial("k", per_minute, d), "k is within 100 per 1m (99 left)");

  const Limit monthly{Algorithm::kFixedWindow, 10000, 0, 0, Calendar::kMonth};
  EXPECT_EQ(describe_limit(monthly), "10000 per month (UTC)");
  const Limit bursty{Algorithm::kTokenBucket, 100, kMinute, 200, Calendar::kNone};
  EXPECT_EQ(describe_limit(bursty), "100 per 1m (burst 200)");
  const std::string long_key(1000, 'k');
  EXPECT_LT(describe_denial(long_key, per_minute, d).size(), 260u);
}

}  // namespace
}  // namespace drl::limits
