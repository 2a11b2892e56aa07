// The durable backend's cost in the store, without the disk: ns per decision of the memory
// backend (a Store, called through store::Backend& as the node calls it) against the durable
// table (DurableStore) whose ChangeLog encodes every change into a buffer under a mutex, as
// the node's log writer does (the writing itself is on the writer's own thread). Same run,
// same keys: 1 M resident keys of 27 bytes (a node's store key is the user key with its
// limit), picked at random, every decision allowed on a day window so every one is written.
// BM_Replay: loading a snapshot of N such keys (in its table's order, as the node writes one)
// into an empty table, per key: the part of a restart that is not reading the files.
#include <benchmark/benchmark.h>

#include <memory>
#include <mutex>
#include <string>

#include "store/durable/durable_store.h"
#include "store/durable/record_codec.h"
#include "store/durable/replay.h"
#include "store/store.h"

namespace {

using drl::TimePoint;
namespace durable = drl::store::durable;

constexpr TimePoint kT0 = 1'700'000'000 * drl::kSecond;
constexpr uint64_t kKeys = 1'000'000;

// "fixed_window/1d/1000:user:NNNNNNNN"-like keys of 27 bytes, written without allocating.
struct KeyBuffer {
  char bytes[27] = {'f', 'w', '/', '8', '6', '4', '0', '0', 's', '/',
                    '1', '0', '0', '0', ':', 'u', 's', 'e', 'r', ':'};
  std::string_view make(uint64_t n) {
    for (int i = 26; i >= 20; --i, n /= 10) bytes[i] = static_cast<char>('0' + n % 10);
    return {bytes, sizeof bytes};
  }
};

drl::limits::Limit day() {
  return drl::limits::Limit{.algorithm = drl::limits::Algorithm::kFixedWindow,
                            .limit = 1'000'000'000,
                            .window = 86400 * drl::kSecond};
}

// The node writer's append path, minus the thread that writes the buffer out.
class BufferLog final : public durable::ChangeLog {
 public:
  void put(const drl::store::KeyRecord& r, Answer) override {
    std::lock_guard lock(mu_);
    durable::append_put(buffer_, r);
    if (buffer_.size() > (1 << 20)) buffer_.clear();
  }
  void erase(std::string_view key, Answer) override {
    std::lock_guard lock(mu_);
    durable::append_erase(buffer_, key);
  }

 private:
  std::mutex mu_;
  std::string buffer_;
};

drl::store::Backend& backend(bool is_durable) {
  static BufferLog log;
  static std::unique_ptr<drl::store::Backend> memory;
  static std::unique_ptr<drl::store::Backend> durable_store;
  auto& slot = is_durable ? durable_store : memory;
  if (!slot) {
    if (is_durable) {
      slot = std::make_unique<durable::DurableStore>(drl::store::StoreOptions{}, log);
    } else {
      slot = std::make_unique<drl::store::Store>();
    }
    KeyBuffer kb;
    for (uint64_t i = 0; i < kKeys; ++i) slot->apply(kb.make(i), day(), {}, kT0);
  }
  return *slot;
}

void BM_Backend(benchmark::State& state) {
  drl::store::Backend& b = backend(state.range(0) != 0);
  KeyBuffer kb;
  uint64_t s = 0x9E3779B97F4A7C15ULL * (state.thread_index() + 1);
  TimePoint now = kT0 + drl::kSecond;
  const auto limit = day();
  for (auto _ : state) {
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    now += 1000;
    benchmark::DoNotOptimize(b.apply(kb.make((s * 0x2545F4914F6CDD1DULL) % kKeys), limit, {}, now));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) != 0 ? "durable" : "memory");
}
BENCHMARK(BM_Backend)->Arg(0)->Arg(1)->Arg(0)->Arg(1)->Threads(1)->Threads(2)->UseRealTime();

void BM_Replay(benchmark::State& state) {
  const auto keys = static_cast<uint64_t>(state.range(0));
  std::string snapshot;
  {
    drl::store::Store source;
    KeyBuffer kb;
    for (uint64_t i = 0; i < keys; ++i) source.apply(kb.make(i), day(), {}, kT0);
    durable::append_header(snapshot, durable::FileKind::kSnapshot);
    source.for_each_in_hash_range(
        0, ~uint64_t{0}, [&](const drl::store::KeyRecord& r) { durable::append_put(snapshot, r); });
    durable::append_end(snapshot, keys);
  }
  for (auto _ : state) {
    auto table = std::make_unique<drl::store::Store>();
    durable::ReplayCounts counts;
    const durable::FileReplay r = durable::replay_snapshot(snapshot, kT0, *table, counts);
    if (!r.complete || counts.puts != keys) state.SkipWithError("the snapshot did not load");
    state.PauseTiming();  // freeing the table is not loading it
    table.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * keys));
}
BENCHMARK(BM_Replay)->Arg(250'000)->Arg(1'000'000)->Arg(4'000'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
