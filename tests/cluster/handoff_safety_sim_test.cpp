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
    Load load{all, limit, 1};
    load.every_steps = 4;
    sim.run(100 * kMillisecond);
    sim.run(kSecond, &load);  // ~60 checks/s per key: budgets spent within the second
    sim.run(200 * kMillisecond);
  }
  // Load on every key after the hand-off: with every budget spent, nothing may be admitted.
  void spend_again(Nanos how_long) {
    Load load{all, limit, 1};
    load.every_steps = 4;
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
  expect_none(decisions_missing_at_owners(sim, limit, {}, options.cluster), "lost decision");
  expect_none(replicas_behind_owners(sim, 3), "after the join");
}

}  // namespace
}  // namespace drl::cluster::sim

namespace drl::cluster::sim {
namespace {

// Joins a node to `c`, stepping until `interrupt` (called after every step while the
// joiner's hand-off is pending) returns true. Returns the joiner's index.
template <typename Interrupt>
size_t join_and_interrupt(SpentCluster& c, Interrupt interrupt) {
  SimCluster& sim = c.sim;
  const size_t joiner = sim.join();
  const TimePoint give_up = sim.now() + 2 * kSecond;
  bool interrupted = false;
  while (!interrupted && sim.node(joiner).handoff_pending() && sim.now() < give_up) {
    sim.run(50 * kMicrosecond);
    interrupted = interrupt(joiner);
  }
  EXPECT_TRUE(interrupted) << "the hand-off ended before the interruption";
  return joiner;
}

// What every interrupted hand-off must end with, once the cluster has settled: no key
// admitted beyond its spent budget (no fresh budget handed out), every new owner holding
// the newest record of its keys, every replica in step with its owner.
void expect_no_fresh_budget(SpentCluster& c) {
  SimCluster& sim = c.sim;
  sim.run(2 * kSecond);  // views, hand-offs (and their timeouts) settle
  for (size_t i = 0; i < sim.size(); ++i) {
    if (!sim.alive(i)) continue;
    EXPECT_FALSE(sim.node(i).handoff_pending()) << sim.id(i);
    expect_none(behind_the_cluster(sim, i), "behind the cluster");
  }
  c.spend_again(kSecond);
  expect_no_violations(sim);
  EXPECT_EQ(sim.unanswered(), 0u);
  EXPECT_LE(worst_excess(sim, c.limit.limit), 0);
  expect_none(replicas_behind_owners(sim, 3), "settled");
}

TEST(HandoffSafety, ADuplicatedChunkChangesNothing) {
  SpentCluster c(seed_or(1121));
  SimCluster& sim = c.sim;
  SCOPED_TRACE(sim.describe_seed());
  size_t duplicated = 0;
  sim.set_message_fault([&](size_t, size_t, const PeerMessage& m) -> size_t {
    if (!is_chunk(m)) return 1;
    ++duplicated;
    return 2;
  });
  sim.join();
  sim.run(kSecond);
  sim.set_message_fault(nullptr);
  EXPECT_GT(duplicated, 0u);
  expect_no_fresh_budget(c);
}

// A chunk in the middle of a hand-off never arrives (a peer link reset between two chunks,
// or a peer link queue full: net/peer_link.cpp drops a frame then and sends the next ones).
// DISABLED: fails today. Nothing tells the joiner a chunk is missing (chunks carry no
// sequence), so it takes over on the last chunk and the lost chunk's keys start from a
// fresh budget: +20 (a whole second budget) on seed 1131.
TEST(HandoffSafety, DISABLED_AChunkLostInTheMiddleGivesNoFreshBudget) {
  SpentCluster c(seed_or(1131));
  SimCluster& sim = c.sim;
  SCOPED_TRACE(sim.describe_seed());
  const size_t joiner = sim.size();
  std::map<size_t, size_t> sent;  // chunks per source
  size_t lost = 0;
  sim.set_message_fault([&](size_t from, size_t to, const PeerMessage& m) -> size_t {
    if (to != joiner || !is_chunk(m) || lost > 0) return 1;
    if (++sent[from] == 2) {
      ++lost;
      return 0;
    }
    return 1;
  });
  sim.join();
  sim.run(kSecond);
  sim.set_message_fault(nullptr);
  ASSERT_EQ(lost, 1u);
  expect_no_fresh_budget(c);
}

// The source of a hand-off dies after sending two of its chunks: the joiner fetches the
// source's ranges from their first replica alive (it holds no replica state of its own).
// Before that, ranges of a dead previous owner were taken over from nothing: the keys of
// the chunks never received started from a fresh budget (+20 for 20).
TEST(HandoffSafety, TheSourceDyingMidwayGivesNoFreshBudget) {
  SpentCluster c(seed_or(1141));
  SimCluster& sim = c.sim;
  SCOPED_TRACE(sim.describe_seed());
  const size_t joiner = sim.size();
  std::map<size_t, size_t> sent;
  constexpr size_t kNone = SIZE_MAX;
  size_t source = kNone;  // the first to send a second chunk; its later ones die with it
  sim.set_message_fault([&](size_t from, size_t to, const PeerMessage& m) -> size_t {
    if (to != joiner || !is_chunk(m)) return 1;
    if (++sent[from] == 2 && source == kNone) source = from;
    return from == source && sent[from] > 2 ? 0 : 1;
  });
  join_and_interrupt(c, [&](size_t) {
    if (source == kNone) return false;
    sim.crash(source);
    return true;
  });
  sim.set_message_fault(nullptr);
  expect_no_fresh_budget(c);
}

// The joiner dies with its hand-off half done, and comes back later with an empty store.
TEST(HandoffSafety, TheJoinerDyingMidwayGivesNoFreshBudget) {
  SpentCluster c(seed_or(1151));
  SimCluster& sim = c.sim;
  SCOPED_TRACE(sim.describe_seed());
  const size_t joiner = join_and_interrupt(c, [&](size_t j) {
    if (sim.node(j).stats().handoff_records_installed < 8) return false;
    sim.crash(j);
    return true;
  });
  sim.run(kSecond);
  sim.restart(joiner);
  expect_no_fresh_budget(c);
}

// The view changes again while the hand-off is in progress: a second node joins, or a third
// one crashes.
TEST(HandoffSafety, AnotherViewChangeMidwayGivesNoFreshBudget) {
  for (const bool crash : {false, true}) {
    SpentCluster c(seed_or(1161) + crash);
    SimCluster& sim = c.sim;
    SCOPED_TRACE(sim.describe_seed() + (crash ? ", a crash" : ", a second join"));
    join_and_interrupt(c, [&](size_t j) {
      if (sim.node(j).stats().handoff_records_installed < 8) return false;
      if (crash) {
        sim.crash(1);
      } else {
        sim.join();
      }
      return true;
    });
    expect_no_fresh_budget(c);
  }
}

}  // namespace
}  // namespace drl::cluster::sim
