// Partitions in the simulator: both halves declare each other dead, and after the heal
// every node agrees again within 5 s of simulated time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "membership/support/sim_cluster.h"

namespace drl::membership::sim {
namespace {

// Returns the simulated time from heal to full agreement, or -1.
Nanos heal_time(int nodes, uint64_t seed, Nanos partition_for, bool through_codec) {
  SimOptions o;
  o.nodes = nodes;
  o.seed = seed;
  o.through_codec = through_codec;
  SimCluster sim(o);
  sim.start_all();
  if (!sim.run_until([&] { return sim.all_agree(); }, 60 * kSecond)) return -1;
  std::set<int> half;
  for (int i = 0; i < nodes / 2; ++i) half.insert(i);
  sim.partition(half);
  sim.run_for(partition_for);
  if (partition_for > 30 * kSecond) {
    // Long enough for each side to have declared the other dead.
    EXPECT_FALSE(sim.sees_live(0, nodes - 1)) << "seed " << seed;
    EXPECT_FALSE(sim.sees_live(nodes - 1, 0)) << "seed " << seed;
  }
  sim.heal();
  const TimePoint healed = sim.now();
  if (!sim.run_until([&] { return sim.all_agree(); }, 60 * kSecond)) return -1;
  return sim.now() - healed;
}

TEST(Partition, HalvesAgreeWithinFiveSecondsAfterHeal) {
  const uint64_t base = test_seed(101);
  const int runs = sanitizer_build() ? 4 : 30;
  for (Nanos partition_for : {5 * kSecond, 60 * kSecond}) {
    std::vector<Nanos> times;
    for (int r = 0; r < runs; ++r) {
      const uint64_t seed = base + static_cast<uint64_t>(r);
      const Nanos t = heal_time(10, seed, partition_for, /*through_codec=*/r % 5 == 0);
      ASSERT_GE(t, 0) << "no agreement after heal; seed " << seed;
      EXPECT_LE(t, 5 * kSecond) << "seed " << seed;
      times.push_back(t);
    }
    std::sort(times.begin(), times.end());
    std::printf("[figures] N=10 partition %lld s: heal-to-agreement median %.2f s, max %.2f s\n",
                static_cast<long long>(partition_for / kSecond),
                static_cast<double>(times[times.size() / 2]) / kSecond,
                static_cast<double>(times.back()) / kSecond);
  }
}

}  // namespace
}  // namespace drl::membership::sim
