// Hand-off checked exactly: what a new owner holds when it takes over, and whether the
// decisions its previous owner made for it (forwarded while the hand-off was pending) reach
// it. Hand-offs here span many chunks (small max_records_per_message, hundreds of keys) and
// are interrupted: a chunk lost or duplicated, the source or the joiner dying, the view
// changing again. Seeds print on failure; DRL_SEED replays.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "cluster/support/sim_accounting.h"
#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"

namespace drl::cluster::sim {
namespace {

void expect_none(const std::vector<std::string>& problems, const char* what) {
  for (size_t i = 0; i < problems.size() && i < 10; ++i)
    ADD_FAILURE() << what << ": " << problems[i];
  if (problems.size() > 10) ADD_FAILURE() << what << ": " << problems.size() - 10 << " more";
}

bool is_chunk(const PeerMessage& m) { return std::holds_alternative<HandoffChunk>(m); }

// Keys the newcomer `j` owns on the ring of everyone alive now.
std::vector<std::string> owned_by(const SimCluster& sim, size_t j,
                                  const std::vector<std::string>& all) {
  std::vector<std::string> out;
  for (const std::string& k : all) {
    if (sim.owner_of(k) == j) out.push_back(k);
  }
  return out;
}

// A cluster whose 400 keys each hold a spent (fixed-window) budget, with hand-offs of 4
// records per chunk: a joiner fetches its ~80 keys in ~20 chunks from several sources.
struct SpentCluster {
  static constexpr uint64_t kLimit = 20;
  limits::Limit limit = fixed_window(kLimit, 60 * kSecond);
  std::vector<std::string> all = keys(400, "spent:");
  SimCluster sim;

  explicit SpentCluster(uint64_t seed, Nanos view_lag = 200 * kMillisecond)
      : sim([&] {
          SimOptions o;
          o.seed = seed;
          o.view_lag = view_lag;
          o.cluster.max_records_per_message = 4;
          return o;
        }()) {
    Load load{all, limit, 2};
    sim.run(100 * kMillisecond);
    sim.run(kSecond, &load);  // 4,000 checks/s per node over 400 keys: budgets spent
    sim.run(200 * kMillisecond);
  }
  // Load on every key after the hand-off: with every budget spent, nothing may be admitted.
  void spend_again(Nanos how_long) {
    Load load{all, limit, 1};
    sim.run(how_long, &load);
    sim.run(500 * kMillisecond);
  }
};

// Regression for the mutant "take over on the first chunk": at the moment a joiner takes
// over, it holds the newest record of every key it owns. Checked after every message it
// reads, so a take-over between two chunks is seen whatever the timing.
TEST(HandoffSafety, AJoinerTakesOverOnlyOnceItHoldsEveryChunk) {
  SpentCluster c(seed_or(1101));
  SimCluster& sim = c.sim;
  SCOPED_TRACE(sim.describe_seed());
  std::map<size_t, size_t> chunks_from;  // source -> chunks sent to the joiner
  size_t joiner = sim.size();
  sim.set_message_fault([&](size_t from, size_t to, const PeerMessage& m) -> size_t {
    if (to == joiner && is_chunk(m)) ++chunks_from[from];
    return 1;
  });
  bool checked = false;
  sim.set_delivery_probe([&](size_t, size_t to) {
    if (to != joiner || checked || sim.node(joiner).handoff_pending()) return;
    checked = true;
    expect_none(behind_the_cluster(sim, joiner), "at take-over");
  });
  ASSERT_EQ(sim.join(), joiner);
  sim.run(kSecond);
  ASSERT_TRUE(checked) << "the joiner never took over";
  size_t most = 0;
  for (const auto& [from, n] : chunks_from) most = std::max(most, n);
  EXPECT_GE(most, 3u) << "the hand-off must span several chunks";
  EXPECT_EQ(sim.node(joiner).stats().handoff_records_installed,
            owned_by(sim, joiner, c.all).size());
  c.spend_again(kSecond);
  expect_no_violations(sim);
  EXPECT_LE(worst_excess(sim, c.limit.limit), 0);
  expect_none(replicas_behind_owners(sim, 3), "after the join");
}

// Regression for the mutant "replicate only the owner's decisions": while a joiner's
// hand-off is pending it forwards its clients' checks to the previous owner, which decides
// them (off-owner: its own view already names the joiner). Those decided after the previous
// owner sent its last chunk reach the joiner only by replication. Every admission must end
// in the joiner's count.
TEST(HandoffSafety, DecisionsThePreviousOwnerMadeForTheJoinerReachIt) {
  SimOptions options;
  options.seed = seed_or(1111);
  options.nodes = 4;
  options.view_lag = 300 * kMillisecond;  // the joiner knows at once, the others 300 ms later
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(1'000'000, 60 * kSecond);  // never binds: counts
  const std::vector<std::string> all = keys(200, "fwd:");
  Load warm{all, limit, 1};
  sim.run(100 * kMillisecond);
  sim.run(200 * kMillisecond, &warm);
  const size_t joiner = sim.join();
  const std::vector<std::string> mine = owned_by(sim, joiner, all);
  ASSERT_GE(mine.size(), 5u);
  // The joiner's clients ask for its keys for as long as it forwards them.
  const TimePoint give_up = sim.now() + 2 * kSecond;
  size_t asked = 0;
  while (sim.node(joiner).handoff_pending() && sim.now() < give_up) {
    for (size_t k = 0; k < 5; ++k) sim.ask(joiner, mine[k], limit, DegradeMode::kClosed);
    asked += 5;
    sim.run(options.step);
  }
  ASSERT_FALSE(sim.node(joiner).handoff_pending());
  sim.run(500 * kMillisecond);
  EXPECT_EQ(sim.unanswered(), 0u);
  uint64_t off_owner = 0;
  for (size_t i = 0; i < sim.size(); ++i) {
    if (i != joiner) off_owner += sim.node(i).stats().decided_off_owner;
  }
  std::printf("joiner forwarded %zu checks; the previous owners decided %llu off-owner\n", asked,
              static_cast<unsigned long long>(off_owner));
  EXPECT_GT(off_owner, 0u) << "no previous owner decided for the joiner after its view changed";
  expect_no_violations(sim);
  expect_none(decisions_missing_at_owners(sim, limit), "lost decision");
  expect_none(replicas_behind_owners(sim, 3), "after the join");
}

}  // namespace
}  // namespace drl::cluster::sim
