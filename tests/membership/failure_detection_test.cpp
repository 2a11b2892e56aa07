// Failure detection in the simulator: no false deaths under loss, crash detection time,
// restart with a higher incarnation, pauses that are suspected and refuted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "membership/support/sim_cluster.h"

namespace drl::membership::sim {
namespace {

SimOptions options(int nodes, uint64_t seed) {
  SimOptions o;
  o.nodes = nodes;
  o.seed = seed;
  return o;
}

TEST(FailureDetection, NoHealthyNodeDeclaredDeadInAnHourAtTenPercentLoss) {
  const uint64_t seed = test_seed(20260101);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with DRL_SEED)");
  SimOptions o = options(50, seed);
  o.link.loss = 0.10;
  o.tick = 20 * kMillisecond;
  SimCluster sim(o);
  int false_deaths = 0;
  int suspicions = 0;
  sim.set_observer([&](int observer, const MembershipEvent& e) {
    if (e.kind == EventKind::kDead) ++false_deaths;
    if (e.kind == EventKind::kSuspect) ++suspicions;
  });
  sim.start_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.all_agree(); }, 60 * kSecond));
  sim.run_for(sanitizer_build() ? 10 * kMinute : kHour);
  EXPECT_EQ(false_deaths, 0);
  EXPECT_TRUE(sim.all_agree());
  std::printf(
      "[figures] 50 nodes, 10%% loss: %d suspicion events (all refuted), %llu of %llu "
      "datagrams lost\n",
      suspicions, static_cast<unsigned long long>(sim.datagrams_lost()),
      static_cast<unsigned long long>(sim.datagrams_sent()));
}

// Time from a crash until every other node holds the crashed node dead.
Nanos time_to_all_dead(int nodes, uint64_t seed) {
  SimCluster sim(options(nodes, seed));
  sim.start_all();
  if (!sim.run_until([&] { return sim.all_agree(); }, 60 * kSecond)) return -1;
  sim.run_for(static_cast<Nanos>(Random(seed).below(5 * kSecond)));
  const int victim = nodes - 1;
  const TimePoint crashed_at = sim.now();
  sim.crash(victim);
  auto all_dead = [&] {
    for (int i = 0; i < nodes; ++i) {
      if (i != victim && sim.sees_live(i, victim)) return false;
    }
    return true;
  };
  if (!sim.run_until(all_dead, 60 * kSecond)) return -1;
  return sim.now() - crashed_at;
}

TEST(FailureDetection, CrashedNodeIsSeenDeadByEveryone) {
  const uint64_t base = test_seed(7);
  const int runs = sanitizer_build() ? 8 : 100;
  for (int nodes : {5, 10, 20}) {
    std::vector<Nanos> times;
    for (int r = 0; r < runs; ++r) {
      const uint64_t seed = base + static_cast<uint64_t>(r);
      const Nanos t = time_to_all_dead(nodes, seed);
      ASSERT_GT(t, 0) << "no agreement on the crash; seed " << seed << " nodes " << nodes;
      times.push_back(t);
    }
    std::sort(times.begin(), times.end());
    const double median = static_cast<double>(times[times.size() / 2]) / kSecond;
    const double p99 = static_cast<double>(times[(times.size() * 99) / 100]) / kSecond;
    std::printf("[figures] N=%d runs=%d time-to-all-dead median %.2f s, p99 %.2f s, max %.2f s\n",
                nodes, runs, median, p99, static_cast<double>(times.back()) / kSecond);
    // Generous regression bound in simulated time: Lifeguard's maximum suspicion timeout.
    EXPECT_LT(p99, 20.0) << "base seed " << base;
  }
}

TEST(FailureDetection, RestartedNodeIsAliveEverywhereWithHigherIncarnation) {
  const uint64_t seed = test_seed(11);
  SCOPED_TRACE("seed " + std::to_string(seed));
  SimCluster sim(options(10, seed));
  sim.start_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.all_agree(); }, 60 * kSecond));
  sim.crash(4);
  ASSERT_TRUE(sim.run_until([&] { return sim.all_agree(); }, 60 * kSecond));
  Incarnation dead_at = sim.node(0).find(sim.id(4))->incarnation;
  sim.restart(4);
  ASSERT_TRUE(sim.run_until([&] { return sim.all_agree(); }, 30 * kSecond));
  EXPECT_GT(sim.node(4).self().incarnation, dead_at);
  for (int i = 0; i < sim.size(); ++i) {
    const Member* m = sim.node(i).find(sim.id(4));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->state, MemberState::kAlive) << "observer " << i;
    EXPECT_EQ(m->incarnation, sim.node(4).self().incarnation) << "observer " << i;
  }
}

class PausedNode : public ::testing::TestWithParam<Nanos> {};

TEST_P(PausedNode, IsSuspectedThenRefutesAndIsNotKilled) {
  const uint64_t seed = test_seed(23);
  SCOPED_TRACE("seed " + std::to_string(seed));
  SimCluster sim(options(10, seed));
  int deaths = 0;
  int suspicions = 0;
  sim.set_observer([&](int, const MembershipEvent& e) {
    if (e.member.info.id != sim.id(3)) return;
    deaths += e.kind == EventKind::kDead;
    suspicions += e.kind == EventKind::kSuspect;
  });
  sim.start_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.all_agree(); }, 60 * kSecond));
  const Incarnation before = sim.node(3).self().incarnation;
  sim.pause(3);
  sim.run_for(GetParam());
  sim.resume(3);
  sim.run_for(10 * kSecond);
  EXPECT_GT(suspicions, 0);
  EXPECT_EQ(deaths, 0);
  EXPECT_GT(sim.node(3).self().incarnation, before);
  EXPECT_TRUE(sim.all_agree());
}

// Twice the probe period, and longer but within the minimum suspicion timeout (2.08 s, N=10).
INSTANTIATE_TEST_SUITE_P(Durations, PausedNode,
                         ::testing::Values(1 * kSecond, 1800 * kMillisecond));

}  // namespace
}  // namespace drl::membership::sim

namespace drl::membership::sim {
namespace {

// True when every running node other than `subject` holds it alive at `address`.
bool everyone_holds_at(SimCluster& sim, int subject, const std::string& address) {
  for (int i = 0; i < sim.size(); ++i) {
    if (i == subject || !sim.up(i)) continue;
    const Member* m = sim.node(i).find(sim.id(subject));
    if (m == nullptr || m->state != MemberState::kAlive || m->info.address != address) return false;
  }
  return true;
}

// A pod rescheduled: the same id, restarted at once at another address, before anyone noticed
// the old process was gone. Its old entry (incarnation 0, old address) is still alive
// everywhere; the new process outbids it on the first sync that shows it its old address, so
// the new address wins without waiting for the old one to be suspected. One member, never two.
TEST(FailureDetection, RestartedAtANewAddressReplacesTheOldOneEverywhere) {
  const uint64_t base = test_seed(31);
  const int runs = sanitizer_build() ? 5 : 40;
  std::vector<Nanos> times;
  for (int r = 0; r < runs; ++r) {
    const uint64_t seed = base + static_cast<uint64_t>(r);
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimCluster sim(options(5, seed));
    int dead = 0;
    sim.set_observer([&](int, const MembershipEvent& e) {
      dead += e.member.info.id == sim.id(3) && e.kind == EventKind::kDead;
    });
    sim.start_all();
    ASSERT_TRUE(sim.run_until([&] { return sim.all_agree(); }, 60 * kSecond));
    sim.crash(3);
    const std::string moved = "10.0.1.3:7000";
    sim.restart_at(3, moved);
    const TimePoint at = sim.now();
    ASSERT_TRUE(sim.run_until([&] { return everyone_holds_at(sim, 3, moved); }, 30 * kSecond));
    times.push_back(sim.now() - at);
    EXPECT_EQ(dead, 0);
    for (int i = 0; i < sim.size(); ++i) {
      EXPECT_EQ(sim.node(i).alive_members().size(), 5u) << "observer " << i;
    }
  }
  std::sort(times.begin(), times.end());
  const double median = static_cast<double>(times[times.size() / 2]) / kSecond;
  const double worst = static_cast<double>(times.back()) / kSecond;
  std::printf(
      "[figures] restart at a new address, N=5, %d runs: new address everywhere after "
      "median %.2f s, max %.2f s\n",
      runs, median, worst);
  // Without the outbidding the old address lingers until a failed probe's suspicion reaches the
  // restarted node (about 1 s and more); with it, one sync and a few gossip rounds.
  EXPECT_LT(median, 0.6);
}

// Two clusters formed apart (each seed list named only its own founder, as DNS may answer with
// one record while pods start) stay apart; new seeds naming the other side merge them.
TEST(FailureDetection, NewSeedsMergeClustersFormedApart) {
  const uint64_t seed = test_seed(37);
  SCOPED_TRACE("seed " + std::to_string(seed));
  SimCluster sim(options(6, seed));
  sim.start(0, {});
  sim.start(1, {sim.address(0)});
  sim.start(2, {sim.address(0)});
  sim.start(3, {});
  sim.start(4, {sim.address(3)});
  sim.start(5, {sim.address(3)});
  sim.run_for(60 * kSecond);
  EXPECT_FALSE(sim.all_agree());
  EXPECT_FALSE(sim.sees_live(0, 3));
  EXPECT_TRUE(sim.sees_live(0, 2));
  EXPECT_TRUE(sim.sees_live(3, 5));
  sim.set_seeds(4, {sim.address(3), sim.address(1)});
  EXPECT_TRUE(sim.run_until([&] { return sim.all_agree(); }, 30 * kSecond));
}

}  // namespace
}  // namespace drl::membership::sim
