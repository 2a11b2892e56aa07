// Dissemination in the simulator: an update (new metadata, higher incarnation) reaches every
// node within O(log N) probe periods.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "membership/support/sim_cluster.h"

namespace drl::membership::sim {
namespace {

TEST(Dissemination, UpdateReachesEveryNodeInLogarithmicPeriods) {
  const uint64_t base = test_seed(5);
  for (int nodes : {10, 50, 200}) {
    const int runs = sanitizer_build() || nodes > 50 ? 1 : 5;
    double worst = 0;
    double sum = 0;
    for (int r = 0; r < runs; ++r) {
      const uint64_t seed = base + static_cast<uint64_t>(r);
      SimOptions o;
      o.nodes = nodes;
      o.seed = seed;
      o.tick = nodes > 50 ? 25 * kMillisecond : 10 * kMillisecond;
      SimCluster sim(o);
      sim.start_all();
      const TimePoint booted = sim.now();
      ASSERT_TRUE(sim.run_until([&] { return sim.all_agree(); }, 120 * kSecond))
          << "no initial agreement; seed " << seed << " nodes " << nodes;
      std::printf("[figures] N=%d: joined through one seed, full agreement after %.1f s\n", nodes,
                  static_cast<double>(sim.now() - booted) / kSecond);
      sim.run_for(5 * kSecond);  // let join gossip drain from the queues
      const TimePoint start = sim.now();
      sim.node(0).set_tags({{"role", "v2"}}, sim.now());
      const Incarnation target = sim.node(0).self().incarnation;
      auto everyone = [&] {
        for (int i = 1; i < nodes; ++i) {
          if (sim.node(i).find(sim.id(0))->incarnation < target) return false;
        }
        return true;
      };
      ASSERT_TRUE(sim.run_until(everyone, 60 * kSecond)) << "seed " << seed;
      const double periods =
          static_cast<double>(sim.now() - start) / static_cast<double>(o.config.probe_interval);
      worst = std::max(worst, periods);
      sum += periods;
      // O(log N): generous constant, in simulated probe periods.
      EXPECT_LE(periods, 4.0 * std::log2(nodes) + 4) << "seed " << seed << " nodes " << nodes;
      for (int i = 1; i < nodes; ++i) {
        EXPECT_EQ(sim.node(i).find(sim.id(0))->info.meta.tags.at("role"), "v2");
      }
    }
    std::printf(
        "[figures] N=%d: update reached all nodes in %.1f periods mean, %.1f worst "
        "(log2 N = %.1f), %d runs\n",
        nodes, sum / runs, worst, std::log2(nodes), runs);
  }
}

}  // namespace
}  // namespace drl::membership::sim
