// Expiry returns memory; the memory budget reclaims expired keys first, then live ones,
// and every key that leaves is counted.
#include <gtest/gtest.h>

#include <string>

#include "store/store.h"

namespace drl::store {
namespace {

constexpr TimePoint kT0 = 1'700'000'000 * kSecond;
const limits::Limit kPerSecond{.limit = 10, .window = kSecond};
const limits::Limit kPerHour{.limit = 10, .window = kHour};

std::string key(const char* prefix, int i) { return prefix + std::to_string(i); }

TEST(StoreExpiry, IdleKeysExpireAndTheirMemoryComesBack) {
  Store store;
  const StoreStats empty = store.stats();
  for (int i = 0; i < 20000; ++i) store.apply(key("user:", i), kPerSecond, {}, kT0);
  for (int i = 0; i < 100; ++i) store.apply(key("a-rather-long-key-name:", i), kPerSecond, {}, kT0);
  const StoreStats full = store.stats();
  EXPECT_EQ(full.keys, 20100u);
  EXPECT_GT(full.memory_bytes, empty.memory_bytes + 20100 * 40);

  // Nothing has expired yet a moment later.
  EXPECT_EQ(store.expire(kT0 + kSecond / 2), 0u);
  // Incremental: a budget bounds each call, and repeated calls finish the job.
  const TimePoint later = kT0 + 5 * kSecond;
  EXPECT_EQ(store.expire(later, 1000), 1000u);
  size_t calls = 0;
  while (store.expire(later, 1000) != 0) ++calls;
  EXPECT_GE(calls, 15u);
  const StoreStats after = store.stats();
  EXPECT_EQ(after.keys, 0u);
  EXPECT_EQ(after.expired, 20100u);
  EXPECT_EQ(after.memory_bytes, empty.memory_bytes);
}

TEST(StoreExpiry, ABudgetedCallScansASixteenthOfTheTable) {
  // The sweep's cost is in slots, not in keys dropped: a budgeted call must not walk the
  // whole table (it runs every 50 ms on a node, beside the checks, under the shards' locks).
  Store store(StoreOptions{.shards = 1});
  constexpr int kKeys = 64000;
  for (int i = 0; i < kKeys; ++i) store.apply(key("k", i), kPerSecond, {}, kT0);
  const TimePoint later = kT0 + 5 * kSecond;
  const size_t first = store.expire(later, SIZE_MAX - 1);
  // A table at 60-85% load holds a sixteenth of its slots' worth of keys, give or take.
  EXPECT_GT(first, 0u);
  EXPECT_LT(first, static_cast<size_t>(kKeys / 8));
  size_t calls = 1;
  while (store.stats().keys > 0 && calls < 100) {
    store.expire(later, SIZE_MAX - 1);
    ++calls;
  }
  EXPECT_EQ(store.stats().keys, 0u);
  EXPECT_LE(calls, 64u);  // shrinking rebuilds restart the cursor; still a bounded number
}

TEST(StoreExpiry, TableShrinksAsKeysLeave) {
  Store store(StoreOptions{.shards = 4});
  for (int i = 0; i < 10000; ++i) store.apply(key("short:", i), kPerSecond, {}, kT0);
  for (int i = 0; i < 100; ++i) store.apply(key("long:", i), kPerHour, {}, kT0);
  const uint64_t full = store.stats().memory_bytes;
  store.expire(kT0 + 5 * kSecond);
  const StoreStats after = store.stats();
  EXPECT_EQ(after.keys, 100u);
  EXPECT_LT(after.memory_bytes * 10, full);  // at most a tenth: the tables shrank
}

TEST(StoreExpiry, SlidingLogMemoryComesBack) {
  Store store;
  const uint64_t empty = store.stats().memory_bytes;
  const limits::Limit log{
      .algorithm = limits::Algorithm::kSlidingLog, .limit = 50, .window = kSecond};
  for (int i = 0; i < 100; ++i) {
    for (int j = 0; j < 20; ++j) store.apply(key("log:", i), log, {}, kT0 + j);
  }
  EXPECT_GT(store.stats().memory_bytes, empty + 100 * 20 * sizeof(TimePoint));
  store.expire(kT0 + 3 * kSecond);
  EXPECT_EQ(store.stats().keys, 0u);
  EXPECT_EQ(store.stats().memory_bytes, empty);
}

TEST(StoreExpiry, EraseFreesTheKey) {
  Store store;
  const uint64_t empty = store.stats().memory_bytes;
  const std::string long_key(500, 'k');
  store.apply(long_key, kPerHour, {}, kT0);
  EXPECT_TRUE(store.erase(long_key));
  EXPECT_FALSE(store.erase(long_key));
  EXPECT_EQ(store.stats().keys, 0u);
  EXPECT_EQ(store.stats().memory_bytes, empty);
  // Erased means forgotten: the full budget again.
  EXPECT_EQ(store.apply(long_key, kPerHour, {}, kT0).remaining, 9u);
}

TEST(StoreBudget, ReclaimsExpiredKeysBeforeEvictingLiveOnes) {
  constexpr size_t kBudget = 128 * 1024;
  Store store(StoreOptions{
      .shards = 1, .max_memory_bytes = kBudget, .on_memory_full = MemoryFullMode::kEvict});
  // Phase 1 fits: 1000 keys of one-second state.
  for (int i = 0; i < 1000; ++i) store.apply(key("old:", i), kPerSecond, {}, kT0);
  StoreStats s = store.stats();
  ASSERT_EQ(s.keys, 1000u);
  ASSERT_EQ(s.evicted + s.evicted_expired, 0u);

  // Phase 2, once phase 1 has expired but before any sweep: far more than fits.
  const TimePoint later = kT0 + 10 * kSecond;
  constexpr int kNew = 5000;
  bool saw_live_eviction = false;
  for (int i = 0; i < kNew; ++i) {
    store.apply(key("new:", i), kPerHour, {}, later);
    s = store.stats();
    ASSERT_LE(s.memory_bytes, kBudget) << "after new key " << i;
    if (s.evicted > 0 && !saw_live_eviction) {
      saw_live_eviction = true;
      EXPECT_EQ(s.evicted_expired, 1000u) << "a live key went before every expired one";
    }
  }
  EXPECT_TRUE(saw_live_eviction);
  EXPECT_EQ(s.evicted_expired, 1000u);
  EXPECT_EQ(s.expired, 0u);
  // Never silent: every key that was applied is either held or counted as gone.
  EXPECT_EQ(s.keys + s.evicted + s.evicted_expired, 1000u + kNew);
  // The newest key is always kept.
  EXPECT_FALSE(
      store.apply(key("new:", kNew - 1), {.limit = 1, .window = kHour}, {}, later).allowed);
}

TEST(StoreBudget, LongKeysAreHeldToTheBudgetToo) {
  constexpr size_t kBudget = 256 * 1024;
  Store store(StoreOptions{
      .shards = 2, .max_memory_bytes = kBudget, .on_memory_full = MemoryFullMode::kEvict});
  for (int i = 0; i < 2000; ++i) {
    store.apply(std::string(200, 'x') + std::to_string(i), kPerHour, {}, kT0);
  }
  const StoreStats s = store.stats();
  EXPECT_GT(s.evicted, 0u);
  EXPECT_LE(s.memory_bytes, kBudget);
  EXPECT_EQ(s.keys + s.evicted + s.evicted_expired, 2000u);
}

}  // namespace
}  // namespace drl::store
