// The shell's fast path (net/cluster_decider.h) in the deterministic simulator: checks for
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
#include <variant>
#include <vector>

#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"
#include "common/key_hash.h"

namespace drl::cluster::sim {
namespace {

constexpr TimePoint kT0 = 1'000'000 * kSecond;

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
  // Its request unanswered past handoff_timeout, it asks again and still decides nothing.
  uint64_t request_id = 0;
  for (const Outgoing& out : node.take_outgoing()) {
    if (const auto* request = std::get_if<HandoffRequest>(&out.message)) {
      request_id = request->request_id;
    }
  }
  ASSERT_NE(request_id, 0u);
  node.tick(kT0 + ClusterOptions{}.handoff_timeout + kMillisecond);
  ASSERT_TRUE(node.handoff_pending());
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(node.ownership().decides(key_hash("k" + std::to_string(i))));
  }
  size_t asked_again = 0;
  for (const Outgoing& out : node.take_outgoing()) {
    asked_again += std::holds_alternative<HandoffRequest>(out.message);
  }
  EXPECT_EQ(asked_again, 1u);
  // Once the last chunk arrives, the node owns its half of the ring inline.
  HandoffChunk last;
  last.request_id = request_id;
  last.last = true;
  node.receive("b", last, kT0 + ClusterOptions{}.handoff_timeout + 2 * kMillisecond);
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
  steady_state_is_exact(sim);
  EXPECT_GT(sim.decided_inline(), 0u);
}

// Views change under load while owners decide inline: a restart and a join, whose hand-offs
// must see every inline decision made before the view that moved the range.
TEST(InlineDecisionSimTest, RestartedOwnerDoesNotResetItsKeys) {
  SimOptions options = inline_options(621);
  options.view_lag = 300 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  restarted_owner_keeps_its_keys(sim);
  EXPECT_GT(sim.decided_inline(), 0u);
}

TEST(InlineDecisionSimTest, JoinWhileBudgetsAreBeingSpentKeepsOneDecider) {
  for (uint64_t run = 0; run < 3; ++run) {
    SimOptions options = inline_options(631 + run);
    options.view_lag = 300 * kMillisecond;
    SimCluster sim(options);
    SCOPED_TRACE(sim.describe_seed());
    join_while_spending_keeps_one_decider(sim);
    EXPECT_GT(sim.decided_inline(), 0u);
  }
}

TEST(InlineDecisionSimTest, ForwardsToAJoinerWithoutAViewAreNotDecidedFresh) {
  SimOptions options = inline_options(641);
  options.view_lag = 0;
  options.joiner_view_lag = 300 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  joiner_without_a_view_decides_nothing_fresh(sim);
}

}  // namespace
}  // namespace drl::cluster::sim
