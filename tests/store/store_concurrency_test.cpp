// Many threads on the same keys: every admission is counted exactly once (no admission
// lost or duplicated), while other threads harvest, sweep and read stats. Also run under
// TSan, so the work is kept small.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace drl::store {
namespace {

constexpr TimePoint kT0 = 1'700'000'000 * kSecond;
constexpr int kThreads = 8;

// Runs `work(thread_index)` on kThreads threads plus one housekeeping thread that harvests
// changes, sweeps and reads stats until the workers finish.
template <typename Work>
void hammer(Store& store, Work work) {
  std::atomic<int> running{kThreads};
  std::atomic<int> waiting{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Start together, or the first threads finish before the last ones exist.
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      work(t);
      running.fetch_sub(1);
    });
  }
  threads.emplace_back([&] {
    uint64_t seq = 0;
    Store replica;
    while (running.load() > 0) {
      seq = store.changed_since(seq, [&](const KeyRecord& r) { replica.install(r); });
      store.expire(kT0, 64);
      store.for_each_in_hash_range(0, UINT64_MAX / 8, [](const KeyRecord&) {});
      EXPECT_LE(store.stats().keys, 100'000u);
    }
  });
  for (std::thread& t : threads) t.join();
}

TEST(StoreConcurrency, FixedWindowOnFewHotKeysAdmitsExactlyTheLimit) {
  Store store(StoreOptions{.shards = 4});
  const limits::Limit limit{
      .algorithm = limits::Algorithm::kFixedWindow, .limit = 4000, .window = kHour};
  const std::string keys[] = {"hot:a", "hot:b", "hot:c", "a-long-hot-key-beyond-inline-size"};
  constexpr int kRounds = 1000;
  std::atomic<uint64_t> admitted[4] = {};
  hammer(store, [&](int t) {
    for (int i = 0; i < kRounds; ++i) {
      for (int k = 0; k < 4; ++k) {
        // Time moves a little, always inside the same hour-long window.
        const TimePoint now = kT0 + (i * kThreads + t) * kMillisecond;
        if (store.apply(keys[k], limit, {}, now).allowed) admitted[k].fetch_add(1);
      }
    }
  });
  // 8 x 1000 = 8000 attempts per key, limit 4000.
  for (int k = 0; k < 4; ++k) EXPECT_EQ(admitted[k].load(), 4000u) << keys[k];
  EXPECT_EQ(store.stats().keys, 4u);
}

TEST(StoreConcurrency, TokenBucketOnManyKeysAdmitsExactlyTheBurstEach) {
  Store store(StoreOptions{.shards = 16});
  const limits::Limit limit{.limit = 3, .window = kHour};
  constexpr int kKeys = 4000;
  std::atomic<uint64_t> admitted{0};
  hammer(store, [&](int t) {
    uint64_t mine = 0;
    // Each thread walks the keys from its own offset, twice, so threads meet on every key.
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < kKeys; ++i) {
        const int k = (i + t * (kKeys / kThreads)) % kKeys;
        if (store.apply("user:" + std::to_string(k), limit, {}, kT0).allowed) ++mine;
      }
    }
    admitted.fetch_add(mine);
  });
  // 8 threads x 2 passes = 16 attempts per key; the bucket holds 3 and time stands still.
  EXPECT_EQ(admitted.load(), uint64_t{kKeys} * 3);
  EXPECT_EQ(store.stats().keys, uint64_t{kKeys});
}

TEST(StoreConcurrency, RefundsAndCostsBalance) {
  Store store(StoreOptions{.shards = 2});
  const limits::Limit limit{.limit = 100, .window = kHour};
  hammer(store, [&](int t) {
    for (int i = 0; i < 500; ++i) {
      limits::Request take;
      take.cost = 2;
      if (store.apply("shared", limit, take, kT0).allowed) {
        limits::Request give;
        give.cost = 2;
        give.refund = true;
        store.apply("shared", limit, give, kT0);
      }
    }
  });
  // Every taken unit was given back: the full budget remains.
  limits::Request peek;
  peek.cost = 0;
  EXPECT_EQ(store.apply("shared", limit, peek, kT0).remaining, 100u);
}

}  // namespace
}  // namespace drl::store
