// apply() must decide exactly as limits::decide on a lone State (the store only adds
// storage, expiry and sharding), for short, long and binary keys.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "limits/algorithm.h"
#include "store/store.h"
#include "store/support/test_seed.h"

namespace drl::store {
namespace {

using limits::Algorithm;

constexpr TimePoint kT0 = 1'700'000'000 * kSecond;

void expect_same(const limits::Decision& want, const limits::Decision& got) {
  EXPECT_EQ(want.allowed, got.allowed);
  EXPECT_EQ(want.shadow_denied, got.shadow_denied);
  EXPECT_EQ(want.limit, got.limit);
  EXPECT_EQ(want.remaining, got.remaining);
  EXPECT_EQ(want.reset_at, got.reset_at);
  EXPECT_EQ(want.retry_after, got.retry_after);
  EXPECT_EQ(want.delay, got.delay);
}

struct Lone {
  limits::State state;
  limits::SlidingLog log;
};

void run_differential(Algorithm algorithm, uint64_t seed) {
  SCOPED_TRACE(std::string(limits::algorithm_name(algorithm)) + ", " + testing::seed_note(seed));
  std::mt19937_64 gen(seed);
  auto below = [&gen](uint64_t n) { return gen() % n; };
  limits::Limit limit;
  limit.algorithm = algorithm;
  limit.limit = 10;
  limit.window = kSecond;
  limit.burst = algorithm == Algorithm::kLeakyBucket ? 3 : 0;
  ASSERT_EQ(limits::validate(limit), "");

  const std::string keys[] = {"user:1",
                              "user:12345678",
                              std::string("bin\0key", 7),
                              std::string("bin\0kez", 7),
                              std::string(300, 'L'),
                              ""};
  Store store(StoreOptions{.shards = 4});
  std::map<std::string, Lone> reference;
  TimePoint now = kT0;
  for (int step = 0; step < 4000 && !::testing::Test::HasFailure(); ++step) {
    now += static_cast<Nanos>(below(kSecond / 4));
    if (below(50) == 0) now += 5 * kSecond;  // long idle: the key expires
    if (below(20) == 0) store.expire(now, 2);
    const std::string& key = keys[below(std::size(keys))];
    limits::Request req;
    req.cost = below(4);
    req.refund = below(15) == 0;
    req.reset = below(40) == 0;
    req.drain_on_deny = below(10) == 0;
    req.shadow = below(10) == 0;
    Lone& lone = reference[key];
    limits::SlidingLog* log = algorithm == Algorithm::kSlidingLog ? &lone.log : nullptr;
    const limits::Decision want = limits::decide(limit, lone.state, log, req, now);
    const limits::Decision got = store.apply(key, limit, req, now);
    SCOPED_TRACE("step " + std::to_string(step));
    expect_same(want, got);
  }
}

TEST(StoreApply, DecidesLikeTheAlgorithmOnALoneState) {
  const uint64_t seed = testing::test_seed();
  for (Algorithm a : {Algorithm::kTokenBucket, Algorithm::kLeakyBucket, Algorithm::kFixedWindow,
                      Algorithm::kSlidingWindow, Algorithm::kSlidingLog}) {
    run_differential(a, seed);
  }
}

TEST(StoreApply, TokenBucketAdmitsTheBurstThenDenies) {
  Store store;
  const limits::Limit limit{.limit = 5, .window = kSecond};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store.apply("k", limit, {}, kT0).allowed) << i;
  const limits::Decision denied = store.apply("k", limit, {}, kT0);
  EXPECT_FALSE(denied.allowed);
  EXPECT_GT(denied.retry_after, 0);
  EXPECT_EQ(store.stats().keys, 1u);
}

TEST(StoreApply, ExpiredStateCountsAsFresh) {
  Store store;
  const limits::Limit limit{.limit = 3, .window = kSecond};
  for (int i = 0; i < 3; ++i) store.apply("k", limit, {}, kT0);
  EXPECT_FALSE(store.apply("k", limit, {}, kT0).allowed);
  const limits::Decision later = store.apply("k", limit, {}, kT0 + 10 * kSecond);
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.remaining, 2u);
}

TEST(StoreApply, KeysWithSharedPrefixesAndNulsAreDistinct) {
  Store store(StoreOptions{.shards = 1});
  const limits::Limit limit{.limit = 1, .window = kSecond};
  const std::string keys[] = {std::string("a\0b", 3), std::string("a\0c", 3), "a",
                              std::string("a\0", 2),  std::string(15, 'x'),   std::string(16, 'x'),
                              std::string(14, 'x'),   std::string(1000, 'y')};
  for (const std::string& k : keys) EXPECT_TRUE(store.apply(k, limit, {}, kT0).allowed);
  for (const std::string& k : keys) EXPECT_FALSE(store.apply(k, limit, {}, kT0).allowed);
  EXPECT_EQ(store.stats().keys, std::size(keys));
}

TEST(StoreApply, PeekOnAnUnknownKeyStoresNothing) {
  Store store;
  const uint64_t base = store.stats().memory_bytes;
  limits::Request peek;
  peek.cost = 0;
  EXPECT_TRUE(store.apply("nobody", {.limit = 1, .window = kSecond}, peek, kT0).allowed);
  EXPECT_EQ(store.stats().keys, 0u);
  EXPECT_EQ(store.stats().memory_bytes, base);
}

TEST(StoreApply, UndecidableLimitIsDeniedNotACrash) {
  Store store;
  const limits::Decision d = store.apply("k", {.limit = 0, .window = 0}, {}, kT0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, limits::kNever);
}

TEST(StoreApply, ChangingAlgorithmStartsTheKeyFresh) {
  Store store;
  limits::Limit bucket{.limit = 2, .window = kSecond};
  limits::Limit log{.algorithm = Algorithm::kSlidingLog, .limit = 2, .window = kSecond};
  store.apply("k", bucket, {}, kT0);
  store.apply("k", bucket, {}, kT0);
  EXPECT_FALSE(store.apply("k", bucket, {}, kT0).allowed);
  EXPECT_TRUE(store.apply("k", log, {}, kT0).allowed);
  EXPECT_TRUE(store.apply("k", bucket, {}, kT0).allowed);
}

}  // namespace
}  // namespace drl::store

namespace drl::store {
namespace {

TEST(StorePrefetch, IsOnlyAHint) {
  // Safe on an empty store, on absent and present keys; decisions are the same without it.
  Store with(StoreOptions{.shards = 4});
  Store without(StoreOptions{.shards = 4});
  const limits::Limit limit{
      .algorithm = limits::Algorithm::kFixedWindow, .limit = 3, .window = kSecond};
  const TimePoint t0 = 1'700'000'000 * kSecond;
  with.prefetch("absent");
  with.prefetch_key_bytes("absent");
  for (int i = 0; i < 10; ++i) {
    const std::string key = "a-key-longer-than-fourteen-bytes:" + std::to_string(i % 4);
    with.prefetch(key);
    with.prefetch("never-applied");
    with.prefetch_key_bytes(key);
    with.prefetch_key_bytes("never-applied-and-longer-than-fourteen");
    EXPECT_EQ(with.apply(key, limit, {}, t0 + i).allowed,
              without.apply(key, limit, {}, t0 + i).allowed)
        << "check " << i;
  }
}

}  // namespace
}  // namespace drl::store
