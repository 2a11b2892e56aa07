// Ring costs: owner lookup (every check), preference list (fail-over, replication) and a
// rebuild (every membership change).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "common/random.h"
#include "ring/ring.h"

namespace {

std::vector<drl::ring::Member> members(size_t n) {
  std::vector<drl::ring::Member> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back({"node-" + std::to_string(i), "10.0.0." + std::to_string(i) + ":7946"});
  }
  return out;
}

void BM_Owner(benchmark::State& state) {
  const drl::ring::Ring ring(members(static_cast<size_t>(state.range(0))));
  drl::Random rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(ring.owner(rng()));
}
BENCHMARK(BM_Owner)->Arg(5)->Arg(100);

void BM_PreferenceList3(benchmark::State& state) {
  const drl::ring::Ring ring(members(static_cast<size_t>(state.range(0))));
  drl::Random rng(1);
  std::vector<drl::ring::MemberIndex> out;
  for (auto _ : state) {
    ring.preference_list(rng(), 3, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_PreferenceList3)->Arg(5)->Arg(100);

void BM_Rebuild(benchmark::State& state) {
  const auto list = members(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    drl::ring::Ring ring(list);
    benchmark::DoNotOptimize(ring.epoch());
  }
}
BENCHMARK(BM_Rebuild)->Arg(5)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
