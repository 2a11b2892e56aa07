// Memory pressure must not hand out fresh budgets silently (issue 25). The scenario: a
// small budget, keys limited to 1 per hour, far more distinct keys spent than fit, then the
// first keys asked again within the hour. kRefuse re-admits none of them and answers keys
// past the budget as untracked; kEvict re-admits evicted ones but flags every such reset.
#include <gtest/gtest.h>

#include <string>

#include "store/store.h"

namespace drl::store {
namespace {

constexpr TimePoint kT0 = 1'700'000'000 * kSecond;
const limits::Limit kOnePerHour{.limit = 1, .window = kHour};
constexpr size_t kBudget = 256 * 1024;
constexpr int kRuns = 10;
constexpr int kKeysPerRun = 900;  // 9,000 keys: about twice what fits, as in the issue

std::string key(int run, int i) { return "user:" + std::to_string(run) + ":" + std::to_string(i); }

struct Fill {
  int untracked = 0;  // checks answered untracked while filling
};

Fill spend_every_run(Store& store, MemoryRule rule = {}) {
  Fill fill;
  for (int run = 0; run < kRuns; ++run) {
    for (int i = 0; i < kKeysPerRun; ++i) {
      const auto d = store.apply(key(run, i), kOnePerHour, {}, kT0 + run * kSecond, rule);
      fill.untracked += d.untracked;
    }
  }
  return fill;
}

TEST(StoreMemoryFull, RefuseReadmitsNoSpentKeyAndLeavesNewKeysUntracked) {
  Store store(StoreOptions{
      .shards = 4, .max_memory_bytes = kBudget, .on_memory_full = MemoryFullMode::kRefuse});
  const Fill fill = spend_every_run(store);
  const StoreStats s = store.stats();
  EXPECT_EQ(s.evicted, 0u) << "refuse never evicts a live key";
  EXPECT_GT(fill.untracked, 0) << "the fill must go past the budget";
  EXPECT_EQ(s.untracked, static_cast<uint64_t>(fill.untracked));
  EXPECT_LE(s.memory_bytes, kBudget);
  EXPECT_EQ(s.keys + s.untracked, static_cast<uint64_t>(kRuns * kKeysPerRun));

  // The first run's keys, all spent, asked again within the hour: none is re-admitted.
  int readmitted = 0;
  for (int i = 0; i < kKeysPerRun; ++i) {
    const auto d = store.apply(key(0, i), kOnePerHour, {}, kT0 + kMinute);
    readmitted += d.allowed;
    EXPECT_FALSE(d.untracked);
  }
  EXPECT_EQ(readmitted, 0);

  // A new key past the budget: untracked, and the rule decides it (degrade closed / open).
  const auto closed = store.apply("new-key", kOnePerHour, {}, kT0 + kMinute);
  EXPECT_TRUE(closed.untracked);
  EXPECT_FALSE(closed.allowed);
  EXPECT_EQ(closed.retry_after, kUntrackedRetryAfter);
  const auto open =
      store.apply("new-key", kOnePerHour, {}, kT0 + kMinute, MemoryRule{.admit_untracked = true});
  EXPECT_TRUE(open.untracked);
  EXPECT_TRUE(open.allowed);
  EXPECT_EQ(open.limit, 1u);
  // Still not stored, so still untracked: nothing was counted for it.
  EXPECT_TRUE(
      store.apply("new-key", kOnePerHour, {}, kT0 + kMinute, {.admit_untracked = true}).untracked);

  // Once the held keys expire, their room comes back and new keys are tracked again.
  const auto later = store.apply("new-key", kOnePerHour, {}, kT0 + 2 * kHour);
  EXPECT_FALSE(later.untracked);
  EXPECT_TRUE(later.allowed);
  EXPECT_GT(store.stats().evicted_expired, 0u);
}

TEST(StoreMemoryFull, EvictFlagsEveryResetOfAnEvictedKey) {
  Store store(StoreOptions{
      .shards = 4, .max_memory_bytes = kBudget, .on_memory_full = MemoryFullMode::kEvict});
  const Fill fill = spend_every_run(store);
  const StoreStats s = store.stats();
  EXPECT_EQ(fill.untracked, 0);
  EXPECT_GT(s.evicted, 0u);
  EXPECT_LE(s.memory_bytes, kBudget);

  int readmitted = 0;
  int flagged = 0;
  for (int i = 0; i < kKeysPerRun; ++i) {
    const auto d = store.apply(key(0, i), kOnePerHour, {}, kT0 + kMinute);
    readmitted += d.allowed;
    flagged += d.reset_by_eviction;
    // Only the first decision after the reset is flagged.
    EXPECT_FALSE(store.apply(key(0, i), kOnePerHour, {}, kT0 + kMinute).reset_by_eviction);
    // A spent key allowed again within its hour was reset: the client must be told.
    if (d.allowed) {
      EXPECT_TRUE(d.reset_by_eviction) << key(0, i);
    }
  }
  EXPECT_GT(readmitted, 0) << "evict re-admits evicted keys (today's behaviour)";
  EXPECT_EQ(flagged, readmitted);
  // The store counts them too (plus any false positive of the fill's new keys).
  EXPECT_GE(store.stats().reset_flagged, static_cast<uint64_t>(flagged));
}

TEST(StoreMemoryFull, EvictRarelyFlagsAKeyNeverEvicted) {
  // The filter's false positives: about 1% per generation (docs/operations.md).
  Store store(StoreOptions{
      .shards = 4, .max_memory_bytes = kBudget, .on_memory_full = MemoryFullMode::kEvict});
  spend_every_run(store);
  int flagged = 0;
  constexpr int kFresh = 2000;
  for (int i = 0; i < kFresh; ++i) {
    flagged += store.apply("never-seen:" + std::to_string(i), kOnePerHour, {}, kT0 + kMinute)
                   .reset_by_eviction;
  }
  EXPECT_LT(flagged, kFresh * 4 / 100);
}

TEST(StoreMemoryFull, APerCallModeOverridesTheStoresAndRefusedKeysAreNeverEvicted) {
  Store store(StoreOptions{
      .shards = 1, .max_memory_bytes = 64 * 1024, .on_memory_full = MemoryFullMode::kEvict});
  const MemoryRule refuse{.on_full = MemoryFullMode::kRefuse};
  int held = 0;
  for (int i = 0; i < 5000; ++i)
    held += !store.apply(key(0, i), kOnePerHour, {}, kT0, refuse).untracked;
  ASSERT_GT(held, 0);
  ASSERT_LT(held, 5000);
  // Keys of the store's own mode (evict) now push for room: they may not take a pinned key's.
  for (int i = 0; i < 2000; ++i) store.apply(key(1, i), kOnePerHour, {}, kT0);
  int readmitted = 0;
  for (int i = 0; i < 5000; ++i) {
    const auto d = store.apply(key(0, i), kOnePerHour, {}, kT0 + kMinute, refuse);
    readmitted += d.allowed;
  }
  EXPECT_EQ(readmitted, 0);
}

TEST(StoreMemoryFull, ReplicaRecordsThatDoNotFitAreRefusedAndCounted) {
  Store owner;
  for (int i = 0; i < 5000; ++i) owner.apply(key(0, i), kOnePerHour, {}, kT0);
  Store replica(StoreOptions{
      .shards = 4, .max_memory_bytes = 128 * 1024, .on_memory_full = MemoryFullMode::kRefuse});
  uint64_t installed = 0;
  uint64_t offered = 0;
  owner.changed_since(0, [&](const KeyRecord& r) {
    ++offered;
    installed += replica.install(r);
  });
  const StoreStats s = replica.stats();
  EXPECT_GT(s.install_refused, 0u);
  EXPECT_EQ(installed + s.install_refused, offered);
  EXPECT_EQ(s.evicted, 0u);
  EXPECT_LE(s.memory_bytes, 128u * 1024);
}

TEST(StoreMemoryFull, SlidingLogKeysAreRefusedWithoutLeavingTheirLog) {
  Store store(StoreOptions{.shards = 1, .max_memory_bytes = 32 * 1024});
  const limits::Limit log{.algorithm = limits::Algorithm::kSlidingLog, .limit = 5, .window = kHour};
  int untracked = 0;
  for (int i = 0; i < 3000; ++i) untracked += store.apply(key(0, i), log, {}, kT0).untracked;
  ASSERT_GT(untracked, 0);
  const StoreStats s = store.stats();
  EXPECT_EQ(s.keys + static_cast<uint64_t>(untracked), 3000u);
  EXPECT_LE(s.memory_bytes, 32u * 1024);
}

}  // namespace
}  // namespace drl::store
