// The shell's fast path (node/cluster_decider.h) in the deterministic simulator: checks for
// keys a node owns on a settled view (ClusterNode::ownership()) are decided straight into its
// store, without the ClusterNode. Replication must still ship them, and views, hand-offs,
// crashes and restarts must keep one budget per key. Each test prints its seed on failure;
// DRL_SEED replays one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cluster/support/sim_cluster.h"
#include "common/key_hash.h"

namespace drl::cluster::sim {
namespace {

constexpr TimePoint kT0 = 1'000'000 * kSecond;

uint64_t seed_or(uint64_t fallback) {
  const char* env = std::getenv("DRL_SEED");
  return env ? std::strtoull(env, nullptr, 10) : fallback;
}

limits::Limit fixed_window(uint64_t limit, Nanos window) {
  limits::Limit l;
  l.algorithm = limits::Algorithm::kFixedWindow;
  l.limit = limit;
  l.window = window;
  return l;
}

std::vector<std::string> keys(size_t n, const std::string& prefix) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

int64_t worst_excess(const SimCluster& sim, uint64_t limit) {
  int64_t worst = -static_cast<int64_t>(limit);
  for (const auto& [key_window, n] : sim.admissions()) {
    worst = std::max(worst, static_cast<int64_t>(n) - static_cast<int64_t>(limit));
  }
  return worst;
}

uint64_t allowed_for(const SimCluster& sim, const std::string& key) {
  uint64_t n = 0;
  for (const Observed& o : sim.observed()) {
    n += o.key == key && o.result.decision.allowed && !o.result.degraded;
  }
  return n;
}

void expect_no_violations(const SimCluster& sim) {
  for (const auto& v : sim.violations()) ADD_FAILURE() << v;
}

SimOptions inline_options(uint64_t seed) {
  SimOptions options;
  options.seed = seed_or(seed);
  options.inline_owned = true;
  return options;
}

TEST(InlineDecisionSimTest, OwnershipIsEmptyUntilTheViewSettles) {
  store::Store store;
  ClusterNode node(ring::Member{"a", "a:1"}, store);
  EXPECT_FALSE(node.ownership().decides(key_hash("k")));
  const uint64_t before = node.ownership_changes();
  // A node that joins others must fetch its ranges first: not settled, nothing inline.
  node.set_view({{"a", "a:1"}, {"b", "b:1"}}, kT0);
  EXPECT_NE(node.ownership_changes(), before);
  ASSERT_TRUE(node.handoff_pending());
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(node.ownership().decides(key_hash("k" + std::to_string(i))));
  }
  // Once the hand-off gives up (handoff_timeout), the node owns its half of the ring inline.
  node.tick(kT0 + ClusterOptions{}.handoff_timeout + kMillisecond);
  ASSERT_FALSE(node.handoff_pending());
  size_t owned = 0;
  for (int i = 0; i < 200; ++i) {
    const uint64_t h = key_hash("k" + std::to_string(i));
    EXPECT_EQ(node.ownership().decides(h), node.ring().member(node.ring().owner(h)).id == "a");
    owned += node.ownership().decides(h);
  }
  EXPECT_GT(owned, 0u);
  EXPECT_LT(owned, 200u);
}

// Checks decided inline at the owner (never seen by its ClusterNode) must reach the replicas:
// after the owner crashes, the replica that takes over continues from their count.
TEST(InlineDecisionSimTest, InlineDecisionsAreReplicated) {
  SimOptions options = inline_options(601);
  options.nodes = 3;
  options.view_lag = 100 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(100, 60 * kSecond);
  const std::string key = "replicated:1";
  sim.run(100 * kMillisecond);  // hand-off among the founders
  const size_t owner = sim.owner_of(key);
  for (int i = 0; i < 60; ++i) sim.ask(owner, key, limit, DegradeMode::kClosed);
  ASSERT_EQ(sim.decided_inline(), 60u) << "the owner did not decide its own key inline";
  ASSERT_EQ(allowed_for(sim, key), 60u);
  sim.run(50 * kMillisecond);  // a few replication intervals
  sim.crash(owner);
  sim.run(500 * kMillisecond);  // the survivors' views drop it; the next in line takes over
  const size_t other = (owner + 1) % sim.size();
  for (int i = 0; i < 100; ++i) {
    sim.ask(other, key, limit, DegradeMode::kClosed);
    sim.run(kMillisecond);
  }
  sim.run(500 * kMillisecond);
  EXPECT_EQ(sim.unanswered(), 0u);
  EXPECT_EQ(allowed_for(sim, key), limit.limit)
      << "the replica did not hold the owner's inline decisions (a fresh budget)";
}

TEST(InlineDecisionSimTest, SteadyStateIsExactWithClientsOnEveryNode) {
  SimCluster sim(inline_options(611));
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(40, kSecond);
  Load load{keys(30, "user:"), limit, 1};
  sim.run(100 * kMillisecond);
  sim.run(3 * kSecond, &load);
  sim.run(200 * kMillisecond);
  expect_no_violations(sim);
  EXPECT_EQ(sim.unanswered(), 0u);
  size_t full_windows = 0;
  for (const auto& [key_window, n] : sim.admissions()) {
    EXPECT_LE(n, limit.limit) << key_window.first << " window ending " << key_window.second;
    full_windows += n == limit.limit;
  }
  EXPECT_GE(full_windows, 30u * 2);
  EXPECT_GT(sim.decided_inline(), 0u);
}

// Views change under load while owners decide inline: a restart and a join, whose hand-offs
// must see every inline decision made before the view that moved the range.
TEST(InlineDecisionSimTest, RestartedOwnerDoesNotResetItsKeys) {
  SimOptions options = inline_options(621);
  options.view_lag = 300 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(500, 60 * kSecond);
  Load load{keys(20, "api:"), limit, 1};
  load.every_steps = 4;
  sim.run(100 * kMillisecond);
  sim.run(kSecond, &load);
  const size_t owner = sim.owner_of("api:3");
  sim.crash(owner);
  sim.run(kSecond, &load);
  sim.restart(owner);
  sim.run(2 * kSecond, &load);
  expect_no_violations(sim);
  EXPECT_LE(worst_excess(sim, limit.limit), 0);
  EXPECT_GT(sim.node(owner).stats().handoff_records_installed, 0u);
  EXPECT_GT(sim.decided_inline(), 0u);
}

TEST(InlineDecisionSimTest, JoinWhileBudgetsAreBeingSpentKeepsOneDecider) {
  for (uint64_t run = 0; run < 3; ++run) {
    SimOptions options = inline_options(631 + run);
    options.view_lag = 300 * kMillisecond;
    SimCluster sim(options);
    SCOPED_TRACE(sim.describe_seed());
    const limits::Limit limit = fixed_window(100, 60 * kSecond);
    Load load{keys(400, "ip:"), limit, 1};
    load.every_steps = 4;
    sim.run(100 * kMillisecond);
    sim.run(kSecond, &load);
    sim.join();
    sim.run(3 * kSecond, &load);
    sim.run(500 * kMillisecond);
    expect_no_violations(sim);
    EXPECT_EQ(sim.unanswered(), 0u);
    // As without the fast path (cluster_sim_test): one round trip around the hand-off.
    EXPECT_LE(worst_excess(sim, limit.limit), 1);
    EXPECT_GT(sim.decided_inline(), 0u);
  }
}

TEST(InlineDecisionSimTest, ForwardsToAJoinerWithoutAViewAreNotDecidedFresh) {
  SimOptions options = inline_options(641);
  options.view_lag = 0;
  options.joiner_view_lag = 300 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(100, 60 * kSecond);
  Load load{keys(40, "ip:"), limit, 1};
  load.every_steps = 2;
  sim.run(100 * kMillisecond);
  sim.run(kSecond, &load);
  const size_t newcomer = sim.join();
  sim.run(kSecond, &load);
  sim.run(500 * kMillisecond);
  expect_no_violations(sim);
  EXPECT_EQ(sim.unanswered(), 0u);
  uint64_t most = 0;
  std::map<std::string, uint64_t> allowed;
  for (const Observed& o : sim.observed()) {
    if (o.result.decision.allowed) most = std::max(most, ++allowed[o.key]);
  }
  EXPECT_LE(most, limit.limit + 1);
  EXPECT_EQ(sim.node(newcomer).stats().degraded, 0u);
}

}  // namespace
}  // namespace drl::cluster::sim
