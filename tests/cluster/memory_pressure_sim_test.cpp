// A replica at its memory budget during a fail-over (issue 25). Three nodes, R = 2; one node's
// store is small and refuses new keys (--on-memory-full refuse). Many keys of 1 per hour are
// spent once each; the small node cannot store every replica record it is sent and counts
// what it refused. Then an owner crashes and its keys are asked again through the survivors:
// not one spent key is admitted again. Keys whose record the full replica refused are
// answered untracked (denied: degrade local), never from a fresh budget.
#include <gtest/gtest.h>

#include <cstdio>

#include <string>
#include <vector>

#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"

namespace drl::cluster::sim {
namespace {

constexpr size_t kSmall = 2;  // the node whose store is at its budget
constexpr int kKeys = 3000;
const limits::Limit kOnePerHour{.limit = 1, .window = kHour};
// Big enough that the fail-over's evictions (~1,400) stay within what the filter of evicted
// keys remembers (~1,200-2,500 here); at 64 KiB (1,520 evicted before the crash alone) it
// forgot 260 of 1,353 resets: docs/protocol.md states the forgetting.
constexpr size_t kEvictBudget = 128 * 1024;

struct FailOver {
  uint64_t first_allowed = 0, refused = 0, evicted_before = 0, evicted = 0;
  uint64_t readmitted = 0, untracked = 0, flagged = 0, readmitted_unflagged = 0;
};

// Spends kKeys keys of 1 per hour once each through nodes 0 and 1, crashes node 0, and asks
// every key again through the survivors. Node kSmall's store is at its budget in `mode`.
FailOver spend_crash_and_ask_again(store::MemoryFullMode mode, size_t budget, uint64_t seed) {
  SimOptions options;
  options.seed = seed;
  options.nodes = 3;
  options.cluster.replicas = 2;
  options.view_lag = 500 * kMillisecond;
  options.stores[kSmall] =
      store::StoreOptions{.shards = 4, .max_memory_bytes = budget, .on_memory_full = mode};
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  sim.run(100 * kMillisecond);

  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("customer:" + std::to_string(i));
  for (int i = 0; i < kKeys; ++i) {
    sim.ask(static_cast<size_t>(i) % 2, keys[i], kOnePerHour, DegradeMode::kLocal);
    if (i % 50 == 0) sim.run(kMillisecond);
  }
  sim.run(500 * kMillisecond);  // every answer in, every replica batch shipped
  FailOver f;
  EXPECT_EQ(sim.unanswered(), 0u);
  for (const Observed& o : sim.observed()) f.first_allowed += o.result.decision.allowed;
  const store::StoreStats small = sim.store(kSmall).stats();
  f.refused = small.install_refused;
  f.evicted_before = small.evicted;

  const size_t owner = 0;
  sim.crash(owner);
  sim.run(2 * kSecond);  // the view drops it; the survivors take over its keys
  sim.clear_observed();
  for (int i = 0; i < kKeys; ++i) {
    sim.ask(1 + static_cast<size_t>(i) % 2, keys[i], kOnePerHour, DegradeMode::kLocal);
    if (i % 50 == 0) sim.run(kMillisecond);
  }
  sim.run(2 * kSecond);
  EXPECT_EQ(sim.unanswered(), 0u);
  for (const Observed& o : sim.observed()) {
    const auto& d = o.result.decision;
    f.readmitted += d.allowed;
    f.untracked += d.untracked;
    f.flagged += d.reset_by_eviction;
    f.readmitted_unflagged += d.allowed && !d.reset_by_eviction;
  }
  f.refused = sim.store(kSmall).stats().install_refused;
  f.evicted = sim.store(kSmall).stats().evicted;  // the fail-over's re-replication included
  std::printf(
      "%s: first pass allowed %llu of %d; small node refused %llu records, evicted "
      "%llu keys (%llu before the crash); after the crash of %s: %llu re-admitted (%llu "
      "of them unflagged), %llu untracked, %llu flagged reset_by_eviction\n",
      mode == store::MemoryFullMode::kRefuse ? "refuse" : "evict",
      static_cast<unsigned long long>(f.first_allowed), kKeys,
      static_cast<unsigned long long>(f.refused), static_cast<unsigned long long>(f.evicted),
      static_cast<unsigned long long>(f.evicted_before), sim.id(owner).c_str(),
      static_cast<unsigned long long>(f.readmitted),
      static_cast<unsigned long long>(f.readmitted_unflagged),
      static_cast<unsigned long long>(f.untracked), static_cast<unsigned long long>(f.flagged));
  expect_no_violations(sim);
  return f;
}

TEST(MemoryPressureSim, AFullReplicaRefusesRecordsAndAFailOverReadmitsNoSpentKey) {
  const FailOver f =
      spend_crash_and_ask_again(store::MemoryFullMode::kRefuse, 48 * 1024, seed_or(2501));
  EXPECT_GT(f.refused, 0u) << "the small replica must run out of room";
  EXPECT_EQ(f.evicted, 0u);
  EXPECT_EQ(f.readmitted, 0u) << "a spent key got a fresh budget after the fail-over";
  EXPECT_GT(f.untracked, 0u) << "the refused records' keys are answered untracked";
}

// The old behaviour, kept as `evict`: the full replica evicts records (its own keys' and
// replicas'), so the fail-over re-admits spent keys, which is what the refuse test above
// fails on; every such reset is now flagged for the client.
TEST(MemoryPressureSim, AFullEvictingReplicaFlagsEveryResetAFailOverCauses) {
  const FailOver f =
      spend_crash_and_ask_again(store::MemoryFullMode::kEvict, kEvictBudget, seed_or(2502));
  EXPECT_EQ(f.refused, 0u);
  EXPECT_GT(f.evicted, 0u);
  EXPECT_GT(f.readmitted, 0u);
  EXPECT_EQ(f.readmitted_unflagged, 0u) << "a reset the client could not see";
}

}  // namespace
}  // namespace drl::cluster::sim
