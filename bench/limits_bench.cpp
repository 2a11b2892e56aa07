// ns per limits::decide() on one hot key, per algorithm, against baselines measured in the
// same run: reading a simulated clock (the cheapest possible "decision") and a plain
// counter check-and-increment (a fixed window without the window).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "limits/algorithm.h"

namespace {

using namespace drl;
using namespace drl::limits;

constexpr TimePoint kStart = 1'700'000'000 * kSecond;
// Time advances 1 ms per call: with 1000 per second the key hovers at its limit, so the
// loop mixes admissions and denials, like a hot abusive key.
constexpr Nanos kStep = kMillisecond;

void BM_Baseline_ReadClock(benchmark::State& bench) {
  TimePoint now = kStart;
  for (auto _ : bench) {
    now += kStep;
    benchmark::DoNotOptimize(now);
  }
}
BENCHMARK(BM_Baseline_ReadClock);

void BM_Baseline_CounterCheck(benchmark::State& bench) {
  uint64_t count = 0;
  TimePoint now = kStart;
  for (auto _ : bench) {
    now += kStep;
    benchmark::DoNotOptimize(now);
    const bool allowed = count < 1000;
    count = allowed ? count + 1 : 0;
    benchmark::DoNotOptimize(allowed);
  }
}
BENCHMARK(BM_Baseline_CounterCheck);

void BM_Decide(benchmark::State& bench, Algorithm algorithm, uint64_t limit, uint64_t burst) {
  const Limit l{algorithm, limit, kSecond, burst, Calendar::kNone};
  State state;
  SlidingLog log;
  SlidingLog* log_ptr = algorithm == Algorithm::kSlidingLog ? &log : nullptr;
  Request req;
  TimePoint now = kStart;
  uint64_t allowed = 0;
  for (auto _ : bench) {
    now += kStep;
    benchmark::DoNotOptimize(now);
    const Decision d = decide(l, state, log_ptr, req, now);
    allowed += d.allowed;
    benchmark::DoNotOptimize(d);
  }
  bench.counters["allowed_pct"] =
      100.0 * static_cast<double>(allowed) / static_cast<double>(bench.iterations());
}
// Twice the sustainable rate: half the calls are denied.
BENCHMARK_CAPTURE(BM_Decide, token_bucket, Algorithm::kTokenBucket, 500, 0);
BENCHMARK_CAPTURE(BM_Decide, leaky_bucket, Algorithm::kLeakyBucket, 500, 10);
BENCHMARK_CAPTURE(BM_Decide, fixed_window, Algorithm::kFixedWindow, 500, 0);
BENCHMARK_CAPTURE(BM_Decide, sliding_log_500, Algorithm::kSlidingLog, 500, 0);
// Never denies; the log holds 1,000 stamps and drops one from its front per call.
BENCHMARK_CAPTURE(BM_Decide, sliding_log_5000, Algorithm::kSlidingLog, 5000, 0);
BENCHMARK_CAPTURE(BM_Decide, sliding_window, Algorithm::kSlidingWindow, 500, 0);

void BM_ExpiresAt(benchmark::State& bench, Algorithm algorithm) {
  const Limit l{algorithm, 500, kSecond, 0, Calendar::kNone};
  State state;
  Request req;
  decide(l, state, nullptr, req, kStart);
  const RateAlgorithm& a = algorithm_for(algorithm);
  for (auto _ : bench) {
    benchmark::DoNotOptimize(state);
    benchmark::DoNotOptimize(a.expires_at(l, state, nullptr));
  }
}
BENCHMARK_CAPTURE(BM_ExpiresAt, token_bucket, Algorithm::kTokenBucket);
BENCHMARK_CAPTURE(BM_ExpiresAt, sliding_window, Algorithm::kSlidingWindow);

}  // namespace

BENCHMARK_MAIN();
