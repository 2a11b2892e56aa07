// Store micro-benchmarks: ns per decision for each algorithm on one hot key, 1 M and 10 M
// resident keys chosen at random, on 1 and 2 threads; bytes per resident key; and, in the
// same run, a baseline (absl::flat_hash_map<std::string, State> behind one mutex).
#include <absl/container/flat_hash_map.h>
#include <benchmark/benchmark.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "limits/algorithm.h"
#include "store/store.h"

namespace {

using drl::TimePoint;
using drl::limits::Algorithm;

constexpr TimePoint kT0 = 1'700'000'000 * drl::kSecond;
constexpr uint64_t kMillionKeys = 1'000'000;

// A realistic short key, "user:NNNNNNNN" (13 bytes), written without allocating.
struct KeyBuffer {
  char bytes[13] = {'u', 's', 'e', 'r', ':'};
  std::string_view make(uint64_t n) {
    for (int i = 12; i >= 5; --i, n /= 10) bytes[i] = static_cast<char>('0' + n % 10);
    return {bytes, sizeof bytes};
  }
};

// Cheap per-thread generator for key picks (xorshift64*).
struct Picker {
  uint64_t s;
  uint64_t below(uint64_t n) {
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    return (s * 0x2545F4914F6CDD1DULL) % n;
  }
};

drl::limits::Limit limit_for(Algorithm a) {
  // Generous limits over an hour: decisions mostly admit and nothing expires mid-run.
  drl::limits::Limit l;
  l.algorithm = a;
  l.limit = a == Algorithm::kSlidingLog ? 100 : 1'000'000;
  l.window = drl::kHour;
  return l;
}

// One populated store at a time (10 M keys take ~0.6 GB); rebuilt when the config changes.
struct Resident {
  Algorithm algorithm{};
  uint64_t keys = 0;
  uint64_t empty_bytes = 0;
  std::unique_ptr<drl::store::Store> store;
};
Resident& resident() {
  static Resident r;
  return r;
}

drl::store::Store& populated(Algorithm a, uint64_t keys) {
  Resident& r = resident();
  if (r.store && r.algorithm == a && r.keys == keys) return *r.store;
  r.store.reset();
  r.store = std::make_unique<drl::store::Store>();
  r.algorithm = a;
  r.keys = keys;
  r.empty_bytes = r.store->stats().memory_bytes;
  KeyBuffer kb;
  const auto limit = limit_for(a);
  for (uint64_t i = 0; i < keys; ++i) r.store->apply(kb.make(i), limit, {}, kT0);
  return *r.store;
}

void BM_Store(benchmark::State& state) {
  const auto algorithm = static_cast<Algorithm>(state.range(0));
  const auto keys = static_cast<uint64_t>(state.range(1));
  static drl::store::Store* store = nullptr;
  if (state.thread_index() == 0) store = &populated(algorithm, keys);
  const auto limit = limit_for(algorithm);
  KeyBuffer kb;
  Picker pick{0x9E3779B97F4A7C15ULL * (state.thread_index() + 1)};
  TimePoint now = kT0 + drl::kSecond;
  for (auto _ : state) {
    const uint64_t k = keys == 1 ? 0 : pick.below(keys);
    now += 1000;  // 1 us per decision per thread
    benchmark::DoNotOptimize(store->apply(kb.make(k), limit, {}, now));
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const auto stats = store->stats();
    state.counters["keys"] = static_cast<double>(stats.keys);
    state.counters["bytes_per_key"] =
        static_cast<double>(stats.memory_bytes - resident().empty_bytes) /
        static_cast<double>(stats.keys == 0 ? 1 : stats.keys);
  }
  state.SetLabel(std::string(drl::limits::algorithm_name(algorithm)));
}

// The baseline: what a straightforward implementation does.
struct Baseline {
  std::mutex mu;
  absl::flat_hash_map<std::string, drl::limits::State> map;
  uint64_t keys = 0;
};
std::unique_ptr<Baseline>& baseline() {
  static std::unique_ptr<Baseline> b;
  return b;
}

drl::limits::Decision baseline_apply(Baseline& b, std::string_view key,
                                     const drl::limits::Limit& limit, TimePoint now) {
  std::lock_guard<std::mutex> lock(b.mu);
  auto [it, inserted] = b.map.try_emplace(std::string(key));
  return drl::limits::decide(limit, it->second, nullptr, {}, now);
}

void BM_Baseline(benchmark::State& state) {
  const auto keys = static_cast<uint64_t>(state.range(0));
  if (state.thread_index() == 0) {
    resident().store.reset();  // one big table in memory at a time
    auto& b = baseline();
    if (!b || b->keys != keys) {
      b.reset();
      b = std::make_unique<Baseline>();
      b->keys = keys;
      KeyBuffer kb;
      const auto limit = limit_for(Algorithm::kTokenBucket);
      for (uint64_t i = 0; i < keys; ++i) baseline_apply(*b, kb.make(i), limit, kT0);
    }
  }
  const auto limit = limit_for(Algorithm::kTokenBucket);
  KeyBuffer kb;
  Picker pick{0x9E3779B97F4A7C15ULL * (state.thread_index() + 1)};
  TimePoint now = kT0 + drl::kSecond;
  for (auto _ : state) {
    const uint64_t k = keys == 1 ? 0 : pick.below(keys);
    now += 1000;
    benchmark::DoNotOptimize(baseline_apply(*baseline(), kb.make(k), limit, now));
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const auto& map = baseline()->map;
    // Slots (key string + state + control byte); "user:NNNNNNNN" fits std::string's SSO.
    const double bytes = static_cast<double>(map.capacity()) *
                         (sizeof(std::string) + sizeof(drl::limits::State) + 1);
    state.counters["keys"] = static_cast<double>(map.size());
    state.counters["bytes_per_key"] = bytes / static_cast<double>(map.size());
  }
  state.SetLabel("baseline token_bucket");
}

// Churn, the shape of `bench/report.sh`'s CL.THROTTLE case: 16-byte keys (heap keys, as
// redis-benchmark's "key:__rand_int__" makes them) drawn from 1 M, each check a token bucket
// of 100 per minute with a burst of 101, so a key's state expires ~1 s after its check and
// most checks find their key gone or expired; 450 k checks per simulated second, and the
// node's sweep every 50 ms (budget 20,000). Starts from an empty store, so the table's growth
// is part of it. Iterations are fixed so every run does the same work.
struct ChurnKey {
  char bytes[16] = {'k', 'e', 'y', ':'};
  std::string_view make(uint64_t n) {
    for (int i = 15; i >= 4; --i, n /= 10) bytes[i] = static_cast<char>('0' + n % 10);
    return {bytes, sizeof bytes};
  }
};
constexpr drl::Nanos kChurnStep = drl::kSecond / 450'000;
constexpr drl::Nanos kSweepEvery = 50 * drl::kMillisecond;

drl::limits::Limit churn_limit() {
  drl::limits::Limit l;
  l.algorithm = Algorithm::kTokenBucket;
  l.limit = 100;
  l.window = drl::kMinute;
  l.burst = 101;
  return l;
}

void BM_StoreChurn(benchmark::State& state) {
  resident().store.reset();
  drl::store::Store store;
  const auto limit = churn_limit();
  ChurnKey kb;
  Picker pick{0x9E3779B97F4A7C15ULL};
  TimePoint now = kT0;
  TimePoint next_sweep = kT0 + kSweepEvery;
  for (auto _ : state) {
    now += kChurnStep;
    if (now >= next_sweep) {
      store.expire(now, 20'000);
      next_sweep += kSweepEvery;
    }
    benchmark::DoNotOptimize(store.apply(kb.make(pick.below(kMillionKeys)), limit, {}, now));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys"] = static_cast<double>(store.stats().keys);
  state.SetLabel("token_bucket churn");
}

// The same churn decided 16 checks at a time (one pipelined read's worth), each batch's keys
// prefetched first, as the node's LocalDecider does.
void BM_StoreChurnPrefetched(benchmark::State& state) {
  resident().store.reset();
  drl::store::Store store;
  const auto limit = churn_limit();
  constexpr size_t kBatch = 16;
  ChurnKey kb[kBatch];
  std::string_view keys[kBatch];
  Picker pick{0x9E3779B97F4A7C15ULL};
  TimePoint now = kT0;
  TimePoint next_sweep = kT0 + kSweepEvery;
  size_t next = kBatch;
  for (auto _ : state) {
    if (next == kBatch) {
      for (size_t i = 0; i < kBatch; ++i) {
        keys[i] = kb[i].make(pick.below(kMillionKeys));
        store.prefetch(keys[i]);
      }
      for (size_t i = 0; i < kBatch; ++i) store.prefetch_key_bytes(keys[i]);
      next = 0;
    }
    now += kChurnStep;
    if (now >= next_sweep) {
      store.expire(now, 20'000);
      next_sweep += kSweepEvery;
    }
    benchmark::DoNotOptimize(store.apply(keys[next++], limit, {}, now));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys"] = static_cast<double>(store.stats().keys);
  state.SetLabel("token_bucket churn, prefetched");
}

// The same churn through the baseline map (no expiry: it only grows).
void BM_BaselineChurn(benchmark::State& state) {
  resident().store.reset();
  baseline().reset();
  Baseline b;
  const auto limit = churn_limit();
  ChurnKey kb;
  Picker pick{0x9E3779B97F4A7C15ULL};
  TimePoint now = kT0;
  for (auto _ : state) {
    now += kChurnStep;
    benchmark::DoNotOptimize(baseline_apply(b, kb.make(pick.below(kMillionKeys)), limit, now));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys"] = static_cast<double>(b.map.size());
  state.SetLabel("baseline token_bucket churn");
}

constexpr int64_t kHot = 1;
constexpr int64_t kMillion = 1'000'000;
constexpr int64_t kTenMillion = 10'000'000;

void store_args(benchmark::internal::Benchmark* b) {
  for (Algorithm a : {Algorithm::kTokenBucket, Algorithm::kLeakyBucket, Algorithm::kFixedWindow,
                      Algorithm::kSlidingWindow, Algorithm::kSlidingLog}) {
    for (int64_t keys : {kHot, kMillion, kTenMillion}) {
      // Sliding-log keys carry a timestamp vector each; 10 M of them is not its use case.
      if (a == Algorithm::kSlidingLog && keys == kTenMillion) continue;
      b->Args({static_cast<int64_t>(a), keys});
    }
  }
}

BENCHMARK(BM_Store)->Apply(store_args)->Threads(1)->Threads(2)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_Baseline)
    ->Arg(kHot)
    ->Arg(kMillion)
    ->Arg(kTenMillion)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->MinTime(0.5);

BENCHMARK(BM_StoreChurn)->Iterations(4'000'000)->Repetitions(3)->UseRealTime();
BENCHMARK(BM_StoreChurnPrefetched)->Iterations(4'000'000)->Repetitions(3)->UseRealTime();
BENCHMARK(BM_BaselineChurn)->Iterations(4'000'000)->Repetitions(3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
