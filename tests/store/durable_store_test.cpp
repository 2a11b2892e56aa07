// The durable backend's table (store/durable/durable_store.h): which changes it hands to its
// log, and that replaying what it handed over restores the decisions a restart must keep.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/durable/durable_store.h"
#include "store/durable/record_codec.h"
#include "store/durable/replay.h"

namespace drl::store::durable {
namespace {

// A ChangeLog that encodes into one log file in memory, as the node's writer does on disk.
class MemoryLog final : public ChangeLog {
 public:
  MemoryLog() { append_header(file, FileKind::kLog); }
  void put(const KeyRecord& record, Answer) override {
    append_put(file, record);
    ++puts;
  }
  void erase(std::string_view key, Answer) override {
    append_erase(file, key);
    ++erases;
  }
  std::string file;
  int puts = 0;
  int erases = 0;
};

limits::Limit per_day(uint64_t n) {
  return limits::Limit{
      .algorithm = limits::Algorithm::kFixedWindow, .limit = n, .window = 86400 * kSecond};
}
limits::Limit per_second(uint64_t n) {
  return limits::Limit{.algorithm = limits::Algorithm::kTokenBucket, .limit = n, .window = kSecond};
}

constexpr TimePoint kNow = 1'700'000'000 * kSecond;

TEST(DurableStore, WritesEveryChangeOfALongWindowAndNoneOfAShortOne) {
  MemoryLog log;
  DurableStore store({}, log, DurableOptions{.min_window = 60 * kSecond});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store.apply("day", per_day(10), {}, kNow).allowed);
  EXPECT_EQ(log.puts, 5);
  for (int i = 0; i < 5; ++i) store.apply("second", per_second(100), {}, kNow);
  EXPECT_EQ(log.puts, 5);
  // A peek and a plain denial change nothing and write nothing.
  store.apply("day", per_day(10), limits::Request{.cost = 0}, kNow);
  for (int i = 0; i < 10; ++i) store.apply("day", per_day(10), {}, kNow);
  EXPECT_EQ(log.puts, 10);  // the 5 allowed of the 10; the denials wrote nothing
  EXPECT_TRUE(store.erase("day"));
  EXPECT_EQ(log.erases, 1);
  DurableStore all({}, log, DurableOptions{.min_window = 0});
  all.apply("second", per_second(100), {}, kNow);
  EXPECT_EQ(log.puts, 11);
}

TEST(DurableStore, ACalendarWindowIsAlwaysWritten) {
  MemoryLog log;
  DurableStore store({}, log, DurableOptions{.min_window = 3600 * kSecond * 24 * 400});
  limits::Limit monthly = per_day(10);
  monthly.window = 0;
  monthly.calendar = limits::Calendar::kMonth;
  store.apply("m", monthly, {}, kNow);
  EXPECT_EQ(log.puts, 1);
}

// The restart the backend exists for: spend a day's quota, replay the log into a fresh table
// (a new process), and the key is still spent. Without the log (the memory backend) the
// fresh table would admit 10 more.
TEST(DurableStore, ReplayingItsLogKeepsASpentQuotaSpent) {
  MemoryLog log;
  {
    DurableStore store({}, log, {});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(store.apply("user:1", per_day(10), {}, kNow).allowed);
    ASSERT_TRUE(store.apply("user:2", per_day(10), {}, kNow).allowed);
    ASSERT_TRUE(store.apply("user:3", per_day(10), {}, kNow).allowed);
    store.erase("user:3");
  }
  MemoryLog unused;
  DurableStore restarted({}, unused, {});
  ReplayCounts counts;
  const FileReplay r = replay_log(log.file, kNow + kSecond, restarted.table(), counts);
  ASSERT_EQ(r.scan.problem, "");
  EXPECT_FALSE(restarted.apply("user:1", per_day(10), {}, kNow + kSecond).allowed);
  const auto d = restarted.apply("user:2", per_day(10), {}, kNow + kSecond);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 8u);
  EXPECT_EQ(restarted.apply("user:3", per_day(10), {}, kNow + kSecond).remaining, 9u);
  EXPECT_EQ(unused.puts, 2);  // the allowed checks after the restart; the replay wrote nothing
}

TEST(DurableStore, InstallsAreWrittenWhenTheyOutliveTheMinimumWindow) {
  MemoryLog log;
  DurableStore store({}, log, DurableOptions{.min_window = 60 * kSecond});
  store.expire(kNow, SIZE_MAX);  // the node's sweep tells the store the time
  KeyRecord day;
  day.key = "replica-day";
  day.algorithm = limits::Algorithm::kFixedWindow;
  day.state = {.t = kNow, .a = 3, .b = 0};
  day.expires_at = kNow + 3600 * kSecond;
  day.version = 3;
  EXPECT_TRUE(store.install(day));
  EXPECT_EQ(log.puts, 1);
  EXPECT_FALSE(store.install(day));  // the same record again: not installed, not written
  KeyRecord brief = day;
  brief.key = "replica-second";
  brief.expires_at = kNow + kSecond;
  EXPECT_TRUE(store.install(brief));
  EXPECT_EQ(log.puts, 1);
}

}  // namespace
}  // namespace drl::store::durable
