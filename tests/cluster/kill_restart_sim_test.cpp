// The network lab's kill:I scenario (scripts/netlab.sh) in the simulator: 5 nodes, 3
// replicas, every key's budget being spent at every node when one node is killed (its store
// lost), declared dead seconds later, and restarted with an empty store. Each key may admit
// its limit plus the crash bound (design.md, "The consistency a user gets"): the dead owner's
// last replication intervals, plus 1 for the hand-off back. Seeds print on failure; DRL_SEED
// replays.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cluster/support/sim_accounting.h"
#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"

namespace drl::cluster::sim {
namespace {

constexpr uint64_t kLimit = 200;

struct KillRun {
  int64_t worst = 0;     // the largest (admitted - limit) of any key
  size_t keys_over = 0;  // keys beyond their crash bound
  uint64_t fresh = 0;    // admissions the restarted node answered with a nearly full budget
};

// Kills `victim` under load, restarts it with an empty store once the others have declared
// it dead, and, when `slow_for` > 0, delays the messages of two survivors to the restarted
// node by `extra` for that long after the restart: their peer links to it were created while
// it was dead (a re-shipped replica batch, an answer to one of its last relays) and are
// waiting out a reconnect backoff (up to 1 s) when it comes back, while the links from the
// other survivors connect at once.
KillRun kill_and_restart(uint64_t seed, size_t victim, Nanos slow_for, Nanos extra) {
  SimOptions o;
  o.seed = seed;
  o.nodes = 5;
  o.step = 100 * kMicrosecond;
  o.inline_owned = true;                            // as the node's shell decides
  o.cluster.failover_timeout = 200 * kMillisecond;  // --failover-timeout-ms
  SimCluster sim(o);
  SCOPED_TRACE(sim.describe_seed() + ", victim " + sim.id(victim));
  const limits::Limit limit = fixed_window(kLimit, 3600 * kSecond);
  Load load{keys(100, "ledger:"), limit, 1};
  load.every_steps = 25;  // 400 checks/s at each node, ~20 per key and second in all
  sim.run(100 * kMillisecond);
  sim.run(4 * kSecond, &load);
  sim.set_view_lag(2500 * kMillisecond);  // SWIM's verdict
  const TimePoint crashed_at = sim.now();
  sim.crash(victim);
  sim.run(4 * kSecond, &load);
  sim.set_view_lag(10 * kMillisecond);  // everyone sees the restarted node at once
  const std::vector<size_t> slowed = {(victim + 1) % 5, (victim + 2) % 5};
  for (size_t s : slowed) sim.slow_link(s, victim, slow_for > 0 ? extra : 0);
  const size_t seen_before = sim.observed().size();
  sim.restart(victim);
  sim.run(slow_for, &load);
  for (size_t s : slowed) sim.slow_link(s, victim, 0);
  sim.run(4 * kSecond - slow_for, &load);
  sim.run(500 * kMillisecond);
  expect_no_violations(sim);
  EXPECT_EQ(sim.unanswered(), 0u);
  EXPECT_FALSE(sim.node(victim).handoff_pending());
  expect_none(replicas_behind_owners(sim, 3), "settled");
  // Each key's crash bound, from its own decisions: what the victim admitted in its last two
  // replication intervals (their records may never have left it), plus 1 for the hand-off
  // back (design.md). Counted, not estimated from a rate: at ~20 per second a key now and
  // then gets 3 admissions within those 20 ms.
  std::map<std::string, int64_t> bound;
  for (const Observed& ob : sim.observed()) {
    bound[ob.key] += ob.result.decided_by == sim.id(victim) && ob.result.decision.allowed &&
                     !ob.result.degraded && ob.answered_at <= crashed_at &&
                     ob.answered_at + 2 * o.cluster.replication_interval >= crashed_at;
  }
  KillRun out;
  for (const auto& [key_window, n] : sim.admissions()) {
    const int64_t excess = static_cast<int64_t>(n) - static_cast<int64_t>(kLimit);
    out.worst = std::max(out.worst, excess);
    out.keys_over += excess > bound[key_window.first] + 1;
  }
  // By the restart every key had admitted ~160 of its 200: an answer from the restarted node
  // with more than 100 remaining came from a budget it never fetched.
  for (size_t i = seen_before; i < sim.observed().size(); ++i) {
    const Observed& ob = sim.observed()[i];
    out.fresh += ob.result.decided_by == sim.id(victim) && ob.result.decision.allowed &&
                 ob.result.decision.remaining > kLimit / 2;
  }
  return out;
}

// Every link to the restarted node fast: its hand-off completes within a round trip.
TEST(KillRestart, FiveNodesStayWithinTheCrashBound) {
  const uint64_t seed = seed_or(1501);
  for (size_t victim = 0; victim < 5; ++victim) {
    const KillRun r = kill_and_restart(seed + victim, victim, 0, 0);
    std::printf("victim n%zu: worst %+lld per key, %zu keys beyond the bound\n", victim,
                static_cast<long long>(r.worst), r.keys_over);
    EXPECT_EQ(r.keys_over, 0u) << "victim n" << victim;
    EXPECT_EQ(r.fresh, 0u) << "victim n" << victim;
  }
}

// Regression for the lab's kill:3 over-admission (docs/testing.md, "Killing and restarting
// a node under load"): two survivors' links to the restarted node deliver 900 ms late, longer
// than handoff_timeout (500 ms). The restarted node, its store empty, used to give up those
// two hand-offs at the timeout and decide their ranges from nothing -- a fresh budget, until
// the late chunks overwrote it (seed 1511: 56 keys beyond the bound, up to +21 per key).
TEST(KillRestart, LateHandoffChunksGiveTheRestartedNodeNoFreshBudget) {
  const uint64_t seed = seed_or(1511);
  for (size_t victim = 0; victim < 5; ++victim) {
    const KillRun r =
        kill_and_restart(seed + victim, victim, 1200 * kMillisecond, 900 * kMillisecond);
    std::printf(
        "victim n%zu, slow links: worst %+lld per key, %zu keys beyond the bound, "
        "%llu admissions from a fresh budget\n",
        victim, static_cast<long long>(r.worst), r.keys_over,
        static_cast<unsigned long long>(r.fresh));
    EXPECT_EQ(r.keys_over, 0u) << "victim n" << victim;
    EXPECT_EQ(r.fresh, 0u) << "victim n" << victim;
  }
}

}  // namespace
}  // namespace drl::cluster::sim
