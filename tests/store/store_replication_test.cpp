// Replication and hand-off support: changed keys once each, hash ranges, version-ordered
// install, erase.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/key_hash.h"
#include "store/store.h"
#include "store/support/test_seed.h"

namespace drl::store {
namespace {

constexpr TimePoint kT0 = 1'700'000'000 * kSecond;
const limits::Limit kLimit{.limit = 100, .window = kHour};

std::map<std::string, KeyRecord> harvest(Store& store, uint64_t& seq) {
  std::map<std::string, KeyRecord> seen;
  seq = store.changed_since(seq, [&](const KeyRecord& r) {
    EXPECT_TRUE(seen.emplace(r.key, r).second) << "visited twice: " << r.key;
  });
  return seen;
}

TEST(StoreChanges, EachChangedKeyOnceInItsCurrentState) {
  Store store(StoreOptions{.shards = 8});
  for (int i = 0; i < 100; ++i) store.apply("k" + std::to_string(i), kLimit, {}, kT0);
  uint64_t seq = 0;
  EXPECT_EQ(harvest(store, seq).size(), 100u);
  EXPECT_EQ(seq, store.change_sequence());
  EXPECT_TRUE(harvest(store, seq).empty());

  store.apply("k1", kLimit, {}, kT0 + 1);
  store.apply("k1", kLimit, {}, kT0 + 2);
  store.apply("k2", kLimit, {}, kT0 + 3);
  store.apply("fresh", kLimit, {}, kT0 + 4);
  const auto seen = harvest(store, seq);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen.at("k1").version, 3u);
  EXPECT_EQ(seen.at("k2").version, 2u);
  EXPECT_EQ(seen.at("fresh").version, 1u);
  EXPECT_EQ(seen.at("k1").algorithm, limits::Algorithm::kTokenBucket);
  EXPECT_GT(seen.at("k1").expires_at, kT0);
  EXPECT_TRUE(harvest(store, seq).empty());
}

TEST(StoreChanges, SequenceCountsChangesNotPeeks) {
  Store store;
  const uint64_t before = store.change_sequence();
  store.apply("k", kLimit, {}, kT0);
  EXPECT_EQ(store.change_sequence(), before + 1);
  limits::Request peek;
  peek.cost = 0;
  store.apply("k", kLimit, peek, kT0);
  EXPECT_EQ(store.change_sequence(), before + 1);
  uint64_t seq = store.change_sequence();
  EXPECT_TRUE(harvest(store, seq).size() <= 1);
}

TEST(StoreChanges, AnUnknownStartingPointGetsEveryKey) {
  Store store;
  for (int i = 0; i < 10; ++i) store.apply("k" + std::to_string(i), kLimit, {}, kT0);
  uint64_t seq = 0;
  harvest(store, seq);
  uint64_t stale = 0;  // another consumer, starting over
  EXPECT_EQ(harvest(store, stale).size(), 10u);
}

TEST(StoreChanges, ChangesSurviveTableGrowth) {
  Store store(StoreOptions{.shards = 1});
  uint64_t seq = 0;
  store.apply("early", kLimit, {}, kT0);
  for (int i = 0; i < 5000; ++i) store.apply("grow" + std::to_string(i), kLimit, {}, kT0);
  const auto seen = harvest(store, seq);
  EXPECT_EQ(seen.size(), 5001u);
  EXPECT_TRUE(seen.count("early"));
}

void check_range(const std::vector<std::string>& keys, Store& store, uint64_t lo, uint64_t hi) {
  std::set<std::string> want;
  for (const std::string& k : keys) {
    const uint64_t h = key_hash(k);
    if (lo <= hi ? (h >= lo && h <= hi) : (h >= lo || h <= hi)) want.insert(k);
  }
  std::set<std::string> got;
  store.for_each_in_hash_range(lo, hi, [&](const KeyRecord& r) {
    EXPECT_TRUE(got.insert(r.key).second) << "visited twice";
  });
  EXPECT_EQ(got, want) << "range [" << lo << ", " << hi << "]";
}

TEST(StoreRanges, VisitExactlyTheKeysInRangeIncludingWrapAround) {
  const uint64_t seed = testing::test_seed();
  SCOPED_TRACE(testing::seed_note(seed));
  std::mt19937_64 gen(seed);
  for (size_t shards : {1, 16}) {
    Store store(StoreOptions{.shards = shards});
    std::vector<std::string> keys;
    for (int i = 0; i < 3000; ++i) {
      keys.push_back("key-" + std::to_string(i) + (i % 7 == 0 ? std::string(40, 'z') : ""));
      store.apply(keys.back(), kLimit, {}, kT0);
    }
    check_range(keys, store, 0, UINT64_MAX);
    check_range(keys, store, UINT64_MAX, 0);  // wraps: just the two ends
    const uint64_t h = key_hash(keys[5]);
    check_range(keys, store, h, h);  // inclusive on both ends
    for (int i = 0; i < 20; ++i) check_range(keys, store, gen(), gen());
  }
}

TEST(StoreRanges, CountHashesCountsExactlyTheKeysItIsAskedFor) {
  for (size_t shards : {1, 16}) {
    Store store(StoreOptions{.shards = shards});
    std::vector<uint64_t> hashes;
    for (int i = 0; i < 3000; ++i) {
      const std::string key = "key-" + std::to_string(i) + (i % 7 == 0 ? std::string(40, 'z') : "");
      hashes.push_back(key_hash(key));
      store.apply(key, kLimit, {}, kT0);
    }
    EXPECT_EQ(store.count_hashes([](uint64_t) { return true; }), 3000u);
    EXPECT_EQ(store.count_hashes([](uint64_t) { return false; }), 0u);
    const uint64_t cut = hashes[17];
    const auto below = static_cast<uint64_t>(
        std::count_if(hashes.begin(), hashes.end(), [&](uint64_t h) { return h < cut; }));
    EXPECT_EQ(store.count_hashes([&](uint64_t h) { return h < cut; }), below);
  }
}

// A store hands out keys (hand-off ranges, changed keys) with their home slots spread over the
// whole table from the first records on: in slot order they would come sorted by the hash bits
// that pick a home, and a growing table installing them would pile every key at the end of one
// run of full slots (quadratic time). Homes here are the low 32 hash bits; a tenth of the
// records must already reach every eighth of that range.
TEST(StoreRanges, KeysLeaveWithTheirHomesSpreadOverTheTable) {
  constexpr int kKeys = 20'000;
  const auto spread_of_first_tenth = [](const std::vector<uint64_t>& hashes) {
    std::set<uint64_t> eighths;
    for (size_t i = 0; i < hashes.size() / 10; ++i) eighths.insert((hashes[i] & 0xFFFFFFFF) >> 29);
    return eighths.size();
  };
  Store store(StoreOptions{.shards = 1});
  for (int i = 0; i < kKeys; ++i) store.apply("k" + std::to_string(i), kLimit, {}, kT0);
  std::vector<uint64_t> ranged, changed;
  store.for_each_in_hash_range(0, ~uint64_t{0},
                               [&](const KeyRecord& r) { ranged.push_back(key_hash(r.key)); });
  uint64_t seq = 0;
  store.changed_since(seq, [&](const KeyRecord& r) { changed.push_back(key_hash(r.key)); });
  ASSERT_EQ(ranged.size(), size_t{kKeys});
  ASSERT_EQ(changed.size(), size_t{kKeys});
  EXPECT_EQ(spread_of_first_tenth(ranged), 8u);
  EXPECT_EQ(spread_of_first_tenth(changed), 8u);
}

TEST(StoreInstall, KeepsTheNewestVersionAndIsIdempotent) {
  Store owner;
  Store replica;
  for (int i = 0; i < 3; ++i) owner.apply("k", kLimit, {}, kT0 + i);
  KeyRecord v3;
  owner.for_each_in_hash_range(0, UINT64_MAX, [&](const KeyRecord& r) { v3 = r; });
  ASSERT_EQ(v3.version, 3u);
  EXPECT_TRUE(replica.install(v3));
  EXPECT_FALSE(replica.install(v3));  // same record again: no-op

  KeyRecord v2 = v3;
  v2.version = 2;
  v2.state.t -= 1;
  EXPECT_FALSE(replica.install(v2));  // older

  // The replica now decides exactly as the owner would.
  const limits::Decision a = owner.apply("k", kLimit, {}, kT0 + 10);
  const limits::Decision b = replica.apply("k", kLimit, {}, kT0 + 10);
  EXPECT_EQ(a.remaining, b.remaining);
  EXPECT_EQ(a.reset_at, b.reset_at);

  KeyRecord v9 = v3;
  v9.version = 9;
  EXPECT_TRUE(replica.install(v9));
  replica.for_each_in_hash_range(0, UINT64_MAX,
                                 [&](const KeyRecord& r) { EXPECT_EQ(r.version, 9u); });
}

TEST(StoreInstall, ARestartedKeyReplacesItsOldIncarnation) {
  Store replica;
  KeyRecord old;
  old.key = "k";
  old.state.t = kT0;
  old.expires_at = kT0 + kSecond;
  old.version = 50;
  EXPECT_TRUE(replica.install(old));
  KeyRecord reborn = old;
  reborn.version = 1;
  reborn.expires_at = kT0 + kHour;
  EXPECT_TRUE(replica.install(reborn));
}

TEST(StoreInstall, RejectsAnUnknownAlgorithm) {
  Store replica;
  KeyRecord bad;
  bad.key = "k";
  bad.algorithm = static_cast<limits::Algorithm>(42);
  bad.version = 1;
  EXPECT_FALSE(replica.install(bad));
  EXPECT_EQ(replica.stats().keys, 0u);
}

TEST(StoreInstall, SlidingLogTravelsWithItsRecord) {
  Store owner;
  Store replica;
  const limits::Limit log{
      .algorithm = limits::Algorithm::kSlidingLog, .limit = 3, .window = kSecond};
  owner.apply("k", log, {}, kT0);
  owner.apply("k", log, {}, kT0 + 1);
  uint64_t seq = 0;
  owner.changed_since(seq, [&](const KeyRecord& r) {
    EXPECT_EQ(r.log.size(), 2u);
    EXPECT_TRUE(replica.install(r));
  });
  EXPECT_TRUE(replica.apply("k", log, {}, kT0 + 2).allowed);
  EXPECT_FALSE(replica.apply("k", log, {}, kT0 + 3).allowed);
}

}  // namespace
}  // namespace drl::store
