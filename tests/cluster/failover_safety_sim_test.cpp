// Fail-over checked exactly: an owner stalls (SIGSTOP: alive, its state kept, nothing read)
// long enough for membership to drop it, its successor decides, the owner comes back. Each
// key's over-admission is held against the bound of that episode computed from the key's own
// rate, and afterwards the owner's state must hold every admission (its successor's
// decisions came back to it) and every replica the owner's state. These hold whether a
// successor decides as soon as a forward times out or only once the view drops the owner.
// Seeds print on failure; DRL_SEED replays.
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cluster/support/sim_accounting.h"
#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"

namespace drl::cluster::sim {
namespace {

// Two loads on every node, ~500 checks/s per key each: `binding` keys, whose 1-second budget
// of 100 runs out 0.2 s into every window (over-admission shows), and `ledger` keys, whose
// budget never binds (every admission must show in the owner's count).
struct TwoLoads {
  limits::Limit binding = fixed_window(100, kSecond);
  limits::Limit ledger = fixed_window(1'000'000, 60 * kSecond);
  Load binding_load{keys(20, "stall:"), binding, 1};
  Load ledger_load{keys(20, "ledger:"), ledger, 1};
  TwoLoads() { binding_load.every_steps = ledger_load.every_steps = 10; }
  void run(SimCluster& sim, Nanos how_long) {
    for (const TimePoint end = sim.now() + how_long; sim.now() < end;) {
      sim.run(500 * kMicrosecond, &binding_load);
      sim.run(500 * kMicrosecond, &ledger_load);
    }
  }
};

class StalledOwner : public ::testing::TestWithParam<Nanos> {
 protected:
  // Stalls the owner of "stall:0" for GetParam() under both loads, resumes it, lets the
  // others take it back, runs on, then a quiet half second.
  void run_episode() {
    const Nanos stall_for = GetParam();
    options_.seed = seed_or(1201 + static_cast<uint64_t>(stall_for / kMillisecond));
    options_.view_lag = 300 * kMillisecond;  // membership drops the stalled owner after this
    sim_.emplace(options_);
    SimCluster& sim = *sim_;
    SCOPED_TRACE(sim.describe_seed());
    sim.run(100 * kMillisecond);
    loads_.run(sim, 700 * kMillisecond);
    const size_t owner = sim.owner_of("stall:0");
    FaultEpisode e;
    e.start = sim.now();
    sim.stall(owner);
    loads_.run(sim, stall_for);
    sim.resume(owner);
    loads_.run(sim, options_.view_lag + 200 * kMillisecond);  // the others take it back
    e.end = sim.now();
    episodes_ = {e};
    loads_.run(sim, 1500 * kMillisecond);
    sim.run(500 * kMillisecond);  // quiet: fail-overs end, replication rounds run
    expect_no_violations(sim);
    EXPECT_EQ(sim.unanswered(), 0u);
  }
  SimOptions options_;
  std::optional<SimCluster> sim_;
  TwoLoads loads_;
  std::vector<FaultEpisode> episodes_;
};

// DISABLED since one decider per key landed (fails on that merge, not on the core it was
// written against): 134 admitted in a window against an allowance of 132 after the 150 ms
// stall, 158 against 128 after the 1,000 ms one. The allowance is still computed as for
// the old fail-over (rate x (delta + tau) per stall), and the returning owner decides from
// the count it had when it stalled (the hole DISABLED_EndsWithItsSuccessorsDecisions names);
// which of the two the excess is has not been worked out (docs/testing.md, "Known holes").
TEST_P(StalledOwner, DISABLED_StaysWithinTheEpisodesBound) {
  run_episode();
  SimCluster& sim = *sim_;
  SCOPED_TRACE(sim.describe_seed());
  const OverAdmission over = over_admission(sim, loads_.binding, episodes_, options_.cluster);
  std::printf("stall of %lld ms: %zu windows touched, worst %s\n",
              static_cast<long long>(GetParam() / kMillisecond), over.windows_touched,
              over.worst.c_str());
  EXPECT_GT(over.windows_touched, 0u);
  expect_none(over.problems, "over the episode's bound");
  expect_none(replicas_behind_owners(sim, 3), "replica behind");
}

// The owner's count afterwards holds every admission (its successor's decisions came back
// to it), up to the episode's allowance. Checked on the `ledger` keys: with 1-second
// windows the stale count of a returning owner has expired by the time it decides again.
// DISABLED: fails today, under both stalls. 150 ms (shorter than the view lag: the replica
// decides by fail-over, off-owner): 36-46 admissions of ~700 per key missing at the owner
// against an allowance of 30 (seeds 1351). 1,000 ms (the view drops the owner; the
// successor decides as owner and replicates only to the ring without it): ~200 missing per
// key: the returning owner's view never changed, so it fetches nothing and decides from the
// count it had when it stalled, and nothing ships the successor's decisions back to it. A
// window longer than the stall would admit that many beyond its limit.
TEST_P(StalledOwner, DISABLED_EndsWithItsSuccessorsDecisions) {
  run_episode();
  SimCluster& sim = *sim_;
  SCOPED_TRACE(sim.describe_seed());
  expect_none(decisions_missing_at_owners(sim, loads_.ledger, episodes_, options_.cluster),
              "not at the owner");
}

// Shorter than membership's detection (the view keeps the owner: the forwarders' business),
// and long enough for the view to drop it and take it back.
INSTANTIATE_TEST_SUITE_P(Stalls, StalledOwner,
                         ::testing::Values(150 * kMillisecond, 1000 * kMillisecond));

}  // namespace
}  // namespace drl::cluster::sim
