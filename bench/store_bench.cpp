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

}  // namespace

BENCHMARK_MAIN();
