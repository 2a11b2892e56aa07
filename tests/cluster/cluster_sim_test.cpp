// Deterministic simulations of routing, replication, fail-over, hand-off and degrade modes.
// Each test prints its seed on failure; DRL_SEED replays one.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "cluster/support/sim_accounting.h"
#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"
#include "common/key_hash.h"

namespace drl::cluster::sim {
namespace {

TEST(ClusterSimTest, SteadyStateIsExactWithClientsOnEveryNode) {
  SimOptions options;
  options.seed = seed_or(101);
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  steady_state_is_exact(sim);
  uint64_t forwarded = 0;
  for (size_t i = 0; i < sim.size(); ++i) forwarded += sim.node(i).stats().forwarded;
  EXPECT_GT(forwarded, 0u);
}

TEST(ClusterSimTest, OwnerCrashUnderLoadStaysWithinTheBound) {
  const ClusterOptions defaults;
  const Nanos delta = defaults.replication_interval;
  const Nanos tau = defaults.failover_timeout;
  int64_t worst_seen = 0;
  for (uint64_t run = 0; run < 8; ++run) {
    SimOptions options;
    options.seed = seed_or(200) + run;      // DRL_SEED=s replays run 0 as s
    options.view_lag = 800 * kMillisecond;  // SWIM takes its time; fail-over does not wait
    SimCluster sim(options);
    SCOPED_TRACE(sim.describe_seed());
    const limits::Limit limit = fixed_window(1000, kSecond);
    // One hot key asked by clients on every node: 5 checks per 500 us = 10 k/s, so the
    // limit binds for the first 100 ms of each window.
    const std::string hot = "hot:" + std::to_string(run);
    Load load{{hot}, limit, 1};
    load.every_steps = 10;
    const double rate = 10'000;  // checks per second on the key
    sim.run(100 * kMillisecond);
    // Crash while the owner is still admitting: window start + 20..80 ms.
    const TimePoint window_start = (sim.now() / kSecond + 1) * kSecond;
    sim.run(window_start - sim.now() + 20 * kMillisecond +
                static_cast<Nanos>(sim.random().below(60)) * kMillisecond,
            &load);
    const size_t owner = sim.owner_of(hot);
    sim.crash(owner);
    sim.run(2 * kSecond, &load);
    sim.run(500 * kMillisecond);  // let the last checks finish their fail-overs
    expect_no_violations(sim);
    expect_none(replicas_behind_owners(sim, 3), "after the crash");
    const int64_t excess = worst_excess(sim, limit.limit);
    const double bound = rate * static_cast<double>(delta + tau) / kSecond;
    std::printf(
        "crash run %llu: owner %s, worst extra admissions %lld, bound rate x (delta+tau) "
        "= %.0f\n",
        static_cast<unsigned long long>(run), sim.id(owner).c_str(), static_cast<long long>(excess),
        bound);
    EXPECT_LE(excess, static_cast<int64_t>(bound));
    worst_seen = std::max(worst_seen, excess);
    // Every client of a surviving node got an answer (after a fail-over at most).
    EXPECT_EQ(sim.unanswered(), 0u);
  }
  std::printf("worst extra admissions over 8 crashes: %lld\n", static_cast<long long>(worst_seen));
}

// A starved owner (alive, but every message reaches it tau + 20 ms late) must not decide the
// forwards its forwarders already failed over to a replica: each check is decided by exactly
// one node. Without forward deadlines every late forward was decided twice.
TEST(ClusterSimTest, SlowButAliveOwnerDecidesNoCheckAlreadyFailedOver) {
  const Nanos tau = ClusterOptions{}.failover_timeout;
  SimOptions options;
  options.seed = seed_or(250);
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(100'000, kSecond);  // never binds: count decisions
  const std::string hot = "slow:hot";
  Load load{{hot}, limit, 1};
  load.every_steps = 20;
  sim.run(100 * kMillisecond);
  const size_t owner = sim.owner_of(hot);
  sim.run(200 * kMillisecond, &load);
  sim.slow(owner, tau + 20 * kMillisecond);
  sim.run(500 * kMillisecond, &load);
  sim.slow(owner, 0);
  sim.run(200 * kMillisecond, &load);
  sim.run(500 * kMillisecond);  // every fail-over finishes
  EXPECT_EQ(sim.unanswered(), 0u);
  uint64_t answered = 0;
  for (const Observed& o : sim.observed()) answered += o.result.error.empty();
  EXPECT_EQ(answered, sim.observed().size());
  const ClusterStats& slow_stats = sim.node(owner).stats();
  EXPECT_GT(slow_stats.expired_relays, 0u) << "no forward reached the slow owner late";
  uint64_t failovers = 0;
  for (size_t i = 0; i < sim.size(); ++i) failovers += sim.node(i).stats().failovers;
  EXPECT_GT(failovers, 0u);
  EXPECT_EQ(sim.decisions(), answered)
      << "a check was decided by more than one node (" << slow_stats.expired_relays
      << " late forwards refused by the slow owner)";
}

TEST(ClusterSimTest, RestartedOwnerDoesNotResetItsKeys) {
  SimOptions options;
  options.seed = seed_or(301);
  options.view_lag = 300 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const size_t owner = restarted_owner_keeps_its_keys(sim);
  EXPECT_GT(sim.node(owner).stats().decided_as_owner, 0u);
}

TEST(ClusterSimTest, JoiningALoadedClusterGivesNoSecondBudget) {
  SimOptions options;
  options.seed = seed_or(401);
  options.view_lag = 200 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(300, 60 * kSecond);
  Load load{keys(40, "ip:"), limit, 1};
  load.every_steps = 4;
  sim.run(100 * kMillisecond);
  sim.run(kSecond, &load);
  const size_t newcomer = sim.join();
  sim.run(2 * kSecond, &load);
  expect_no_violations(sim);
  EXPECT_LE(worst_excess(sim, limit.limit), 0);
  EXPECT_GT(sim.node(newcomer).stats().decided_as_owner, 0u);
  EXPECT_FALSE(sim.node(newcomer).handoff_pending());
}

// The budget is still being spent when the newcomer arrives, and the others learn of it
// later than the newcomer learns of them: the hand-off must wait for the previous owner to
// see the newcomer, or both would decide from the same count.
TEST(ClusterSimTest, JoinWhileBudgetsAreBeingSpentKeepsOneDecider) {
  SimOptions options;
  options.seed = seed_or(411);
  options.view_lag = 300 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const size_t newcomer = join_while_spending_keeps_one_decider(sim);
  EXPECT_GT(sim.node(newcomer).stats().decided_as_owner, 0u);
}

// The others learn of the newcomer before it gets its own first view (the real join: peers
// see its gossip while it is still syncing). Forwards that reach it then, and its own
// clients' checks, must not be decided from an empty store.
TEST(ClusterSimTest, ForwardsToAJoinerWithoutAViewAreNotDecidedFresh) {
  SimOptions options;
  options.seed = seed_or(421);
  options.view_lag = 0;
  options.joiner_view_lag = 300 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const size_t newcomer = joiner_without_a_view_decides_nothing_fresh(sim);
  EXPECT_GT(sim.node(newcomer).stats().decided_as_owner, 0u);
}

// A minority side that knows it is one (min_view_size) degrades; the majority stays exact.
class PartitionTest : public ::testing::TestWithParam<DegradeMode> {};

TEST_P(PartitionTest, MinorityDegradesMajorityStaysExact) {
  SimOptions options;
  options.seed = seed_or(500 + static_cast<uint64_t>(GetParam()));
  options.view_lag = 300 * kMillisecond;
  options.cluster.min_view_size = 3;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(50, kSecond);
  Load load{keys(20, "k:"), limit, 1};
  load.degrade = GetParam();
  load.every_steps = 2;
  sim.run(100 * kMillisecond);
  sim.run(500 * kMillisecond, &load);
  sim.partition({{0, 1}, {2, 3, 4}});
  const TimePoint cut = sim.now();
  sim.clear_observed();
  sim.run(2 * kSecond, &load);
  const TimePoint end = sim.now();
  sim.run(500 * kMillisecond);
  EXPECT_EQ(sim.unanswered(), 0u);
  size_t minority_degraded = 0, minority = 0;
  std::map<std::pair<std::string, TimePoint>, uint64_t> local_admits;
  for (const Observed& o : sim.observed()) {
    if (o.node >= 2) {
      // The majority reaches every owner it routes to once its view drops the minority.
      if (o.asked_at > end - kSecond) {
        EXPECT_FALSE(o.result.degraded);
      }
      continue;
    }
    if (o.asked_at < end - kSecond) continue;  // after the minority's view has settled
    ++minority;
    minority_degraded += o.result.degraded;
    switch (GetParam()) {
      case DegradeMode::kOpen:
        EXPECT_TRUE(o.result.decision.allowed);
        break;
      case DegradeMode::kClosed:
        EXPECT_FALSE(o.result.decision.allowed);
        break;
      case DegradeMode::kLocal:
        if (o.result.decision.allowed) ++local_admits[{o.key, o.result.decision.reset_at}];
        break;
    }
  }
  EXPECT_GT(minority, 0u);
  EXPECT_EQ(minority_degraded, minority);
  // Local mode: each minority node enforces limit / 5 on its own.
  for (const auto& [kw, n] : local_admits) EXPECT_LE(n, 2 * limit.limit / 5) << kw.first;
  // Until the views change, the minority's owners keep deciding for their side while the
  // majority fails over to replicas: exactness returns with the first window after that.
  for (const auto& [kw, n] : sim.admissions()) {
    if (kw.second - limit.window >= cut + options.view_lag) {
      EXPECT_LE(n, limit.limit) << kw.first;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PartitionTest,
                         ::testing::Values(DegradeMode::kLocal, DegradeMode::kOpen,
                                           DegradeMode::kClosed));

TEST(ClusterSimTest, UnreachablePreferenceListDegradesBeforeSwimNotices) {
  SimOptions options;
  options.seed = seed_or(601);
  options.view_lag = 10 * kSecond;  // membership never notices within the test
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  sim.run(100 * kMillisecond);
  sim.partition({{0}, {1, 2, 3, 4}});
  // A key node 0 neither owns nor replicates: all three attempts time out, then it degrades.
  std::string key;
  for (size_t i = 0; key.empty(); ++i) {
    const std::string k = "far:" + std::to_string(i);
    auto list = sim.node(0).ring().preference_list(key_hash(k), 3);
    bool mine = false;
    for (auto m : list) mine |= sim.node(0).ring().member(m).id == sim.id(0);
    if (!mine) key = k;
  }
  sim.ask(0, key, fixed_window(10, kSecond), DegradeMode::kClosed);
  sim.run(400 * kMillisecond);
  ASSERT_EQ(sim.observed().size(), 1u);
  const Observed& o = sim.observed()[0];
  EXPECT_TRUE(o.result.degraded);
  EXPECT_FALSE(o.result.decision.allowed);
  EXPECT_EQ(o.result.decided_by, sim.id(0));
  const ClusterOptions defaults;
  EXPECT_GE(o.answered_at - o.asked_at, 3 * defaults.failover_timeout);
}

}  // namespace
}  // namespace drl::cluster::sim

namespace drl::cluster::sim {
namespace {

// Crashes, restarts and joins at random under load (partitions have their own tests: a
// side without a min_view_size guard runs on its own by design). The invariants hold after
// every step, every client of a live node gets an answer, and the extra admissions stay
// within rate x (delta + tau) per crash.
TEST(ClusterSimTest, RandomChurnKeepsInvariants) {
  SimOptions options;
  options.seed = seed_or(701);
  options.nodes = 6;
  options.view_lag = 150 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(200, 10 * kSecond);
  Load load{keys(100, "churn:"), limit, 1};
  load.every_steps = 4;
  sim.run(100 * kMillisecond);
  std::set<size_t> crashed;
  std::string log;
  for (int event = 0; event < 24; ++event) {
    const double dice = sim.random().unit();
    size_t alive = 0;
    for (size_t i = 0; i < sim.size(); ++i) alive += sim.alive(i);
    if (dice < 0.35 && alive > 3) {
      size_t victim = sim.random().below(sim.size());
      while (!sim.alive(victim)) victim = (victim + 1) % sim.size();
      sim.crash(victim);
      crashed.insert(victim);
      log += " crash:" + sim.id(victim);
    } else if (dice < 0.7 && !crashed.empty()) {
      const size_t back = *crashed.begin();
      crashed.erase(crashed.begin());
      sim.restart(back);
      log += " restart:" + sim.id(back);
    } else if (dice < 0.85 && sim.size() < 9) {
      log += " join:" + sim.id(sim.join());
    } else {
      log += " quiet";
    }
    sim.run(300 * kMillisecond, &load);
  }
  sim.run(kSecond, &load);
  sim.run(500 * kMillisecond);
  SCOPED_TRACE("events:" + log);
  expect_no_violations(sim);
  expect_none(replicas_behind_owners(sim, 3), "after the churn");
  EXPECT_EQ(sim.unanswered(), 0u);
  const int64_t excess = worst_excess(sim, limit.limit);
  std::printf(
      "churn: events%s\nchurn: worst extra admissions per key and window %lld (limit %llu)\n",
      log.c_str(), static_cast<long long>(excess), static_cast<unsigned long long>(limit.limit));
  // ~10 crashes at <= ~450 checks/s per key: a few extra at most, never a second budget.
  EXPECT_LE(excess, static_cast<int64_t>(limit.limit / 10));
}

}  // namespace
}  // namespace drl::cluster::sim

namespace drl::cluster::sim {
namespace {

// A lossy network: every lost forward or answer is a fail-over, which decides from replica
// state (up to delta old). Each client still gets one answer; the extra admissions stay small.
TEST(ClusterSimTest, LossyLinksCostOnlyFailovers) {
  SimOptions options;
  options.seed = seed_or(801);
  options.loss = 0.01;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(100, kSecond);
  Load load{keys(50, "lossy:"), limit, 1};
  load.every_steps = 2;
  sim.run(100 * kMillisecond);
  sim.run(3 * kSecond, &load);
  sim.run(500 * kMillisecond);
  expect_no_violations(sim);
  expect_none(replicas_behind_owners(sim, 3), "after the losses");
  EXPECT_EQ(sim.unanswered(), 0u);
  uint64_t failovers = 0;
  for (size_t i = 0; i < sim.size(); ++i) failovers += sim.node(i).stats().failovers;
  const int64_t excess = worst_excess(sim, limit.limit);
  std::printf("1%% loss: %llu fail-overs, %llu messages dropped, worst extra admissions %lld\n",
              static_cast<unsigned long long>(failovers),
              static_cast<unsigned long long>(sim.dropped_messages()),
              static_cast<long long>(excess));
  EXPECT_GT(failovers, 0u);
  EXPECT_LE(excess, static_cast<int64_t>(limit.limit / 10));
}

}  // namespace
}  // namespace drl::cluster::sim
