// Exactness on a real network's troubles, simulated: TCP-like retransmission delays on every
// link (10% and 30% of transmissions lost), one-way cuts that membership does not notice,
// and a node whose wall clock is off by up to +-30 s. No node crashes, so every key must
// admit at most its limit, and every check must be answered or refused with a clear error.
// Each test prints its figures and seed; DRL_SEED replays one.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"

namespace drl::cluster::sim {
namespace {

// 100 keys, a burst of 10 and no refill during the run (the window outlasts it), clients on
// every node: any second decider shows as a key admitted past 10.
constexpr uint64_t kLimit = 10;
const limits::Limit kNoRefill = fixed_window(kLimit, 1000 * kSecond);

struct Outcome {
  int64_t worst_excess = 0;  // most admitted beyond the limit, over all keys
  size_t keys_over = 0;
  size_t admitted = 0;
  size_t answered = 0;  // decided (allowed or denied)
  size_t refused = 0;   // answered with an error
  size_t unclear = 0;   // errors other than "deadline exceeded"
  uint64_t decisions = 0;
  uint64_t retries = 0;
  uint64_t failovers = 0;
};

Outcome tally(const SimCluster& sim) {
  Outcome out;
  std::map<std::string, uint64_t> admitted;
  for (const Observed& o : sim.observed()) {
    if (!o.result.error.empty()) {
      ++out.refused;
      out.unclear += o.result.error != kClientDeadlineError;
      continue;
    }
    ++out.answered;
    if (o.result.decision.allowed && !o.result.degraded) ++admitted[o.key];
  }
  out.worst_excess = -static_cast<int64_t>(kLimit);
  for (const auto& [key, n] : admitted) {
    out.admitted += n;
    out.worst_excess = std::max(out.worst_excess, static_cast<int64_t>(n - kLimit));
    out.keys_over += n > kLimit;
  }
  out.decisions = sim.decisions();
  for (size_t i = 0; i < sim.size(); ++i) {
    if (!sim.alive(i)) continue;
    out.retries += sim.node(i).stats().retries;
    out.failovers += sim.node(i).stats().failovers;
  }
  return out;
}

void print(const char* what, const SimCluster& sim, const Outcome& o) {
  std::printf(
      "[figures] %s: admitted %zu, beyond the limit %lld (keys over %zu of 100), answered %zu, "
      "refused %zu, decisions %llu, retries %llu, fail-overs %llu, retransmissions %llu\n",
      what, o.admitted, static_cast<long long>(std::max<int64_t>(0, o.worst_excess)), o.keys_over,
      o.answered, o.refused, static_cast<unsigned long long>(o.decisions),
      static_cast<unsigned long long>(o.retries), static_cast<unsigned long long>(o.failovers),
      static_cast<unsigned long long>(sim.retransmissions()));
}

// The lab: 3 nodes, a fixed seed unless DRL_SEED is set.
SimOptions lab_options(uint64_t seed) {
  SimOptions options;
  options.seed = seed_or(seed);
  options.nodes = 3;
  return options;
}

// Clients on every node for `duration`, then quiet until every check is answered.
Outcome run_no_refill(SimCluster& sim, Nanos duration) {
  Load load{keys(100, "lab:"), kNoRefill, 1};
  load.every_steps = 20;  // 1,000 checks/s per node
  sim.run(kSecond);       // the founders' hand-offs finish, however slow the network
  sim.run(duration, &load);
  sim.run(3 * kSecond);  // longer than check_timeout: every check is answered or refused
  return tally(sim);
}

void expect_exact(const SimCluster& sim, const Outcome& o) {
  expect_no_violations(sim);
  EXPECT_EQ(sim.unanswered(), 0u);
  EXPECT_LE(o.worst_excess, 0) << o.keys_over << " keys admitted past their limit";
  EXPECT_EQ(o.unclear, 0u) << "a check was refused without saying its deadline passed";
  EXPECT_GT(o.answered, 0u);
}

class RetransmitLossTest : public ::testing::TestWithParam<double> {};

// Every transmission on every link is lost with probability p and retransmitted after 200 ms
// (doubling), in order per link: forwards and answers arrive late, never lost. The old
// design failed over to a replica after tau and let it decide while the owner, alive,
// decided too; now the check waits for its owner (retried, also through a relay) and a
// repeated attempt is answered from memory.
TEST_P(RetransmitLossTest, EveryKeyAdmitsAtMostItsLimit) {
  SimOptions options = lab_options(2400 + static_cast<uint64_t>(GetParam() * 100));
  options.retransmit_loss = GetParam();
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const Outcome o = run_no_refill(sim, 3 * kSecond);
  print(GetParam() < 0.2 ? "retransmit loss 10%" : "retransmit loss 30%", sim, o);
  expect_exact(sim, o);
  EXPECT_GT(sim.retransmissions(), 0u);
  EXPECT_EQ(o.failovers, 0u) << "no member left the view: nothing may fail over";
  // Each answered check was decided once; a decision whose answer arrived after its client
  // gave up is the only other kind (a budget spent for nobody: under-, never over-admission).
  EXPECT_GE(o.decisions, o.answered);
  EXPECT_LE(o.decisions, o.answered + o.refused);
}

INSTANTIATE_TEST_SUITE_P(Loss, RetransmitLossTest, ::testing::Values(0.1, 0.3));

// Messages dropped outright (a reset link): retries and the answer memory keep every check
// to one decision on the owner.
TEST(LossyNetworkSimTest, DroppedMessagesAreRetriedNotDecidedTwice) {
  SimOptions options = lab_options(2450);
  options.loss = 0.1;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const Outcome o = run_no_refill(sim, 2 * kSecond);
  print("10% of messages dropped", sim, o);
  expect_exact(sim, o);
  uint64_t answered_again = 0;
  for (size_t i = 0; i < sim.size(); ++i) answered_again += sim.node(i).stats().answered_again;
  EXPECT_GT(answered_again, 0u) << "no lost answer was asked again";
  EXPECT_LE(o.decisions, o.answered + o.refused);
}

class OneWayCutTest : public ::testing::TestWithParam<std::pair<size_t, size_t>> {};

// A's messages to B are lost, B's to A arrive; membership still lists everyone (indirect
// probes get through), so the views never change. Checks A forwards to B go round through
// the third node; answers B sends to A (for A's relayed checks) come back the same way.
TEST_P(OneWayCutTest, EveryKeyAdmitsAtMostItsLimit) {
  const auto [from, to] = GetParam();
  SimOptions options = lab_options(2500 + from * 10 + to);
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  sim.cut(from, to);
  const Outcome o = run_no_refill(sim, 2 * kSecond);
  const std::string what = "one-way cut n" + std::to_string(from) + " -> n" + std::to_string(to);
  print(what.c_str(), sim, o);
  expect_exact(sim, o);
  EXPECT_EQ(o.refused, 0u) << "the relay path answers every check within its deadline";
  EXPECT_EQ(o.decisions, o.answered) << "a check was decided twice";
  EXPECT_GT(o.retries, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cuts, OneWayCutTest,
    ::testing::Values(std::pair<size_t, size_t>{0, 1}, std::pair<size_t, size_t>{1, 0},
                      std::pair<size_t, size_t>{0, 2}, std::pair<size_t, size_t>{2, 0},
                      std::pair<size_t, size_t>{1, 2}, std::pair<size_t, size_t>{2, 1}));

class ClockSkewTest : public ::testing::TestWithParam<Nanos> {};

// One node's wall clock is off (and drifts 100 ppm): forwards carry budgets, not instants,
// so nothing it receives looks expired or everlasting; each key's windows run on its owner's
// clock, so every window admits exactly its limit. Tried on each node in turn.
TEST_P(ClockSkewTest, SteadyStateStaysExact) {
  for (size_t skewed = 0; skewed < 3; ++skewed) {
    SimOptions options = lab_options(2600);
    options.seed += skewed;
    SimCluster sim(options);
    SCOPED_TRACE(sim.describe_seed() + ", skewed node n" + std::to_string(skewed));
    sim.set_clock(skewed, GetParam(), GetParam() > 0 ? 100 : -100);
    steady_state_is_exact(sim);
    uint64_t expired = 0, answered = 0;
    for (size_t i = 0; i < sim.size(); ++i) expired += sim.node(i).stats().expired_relays;
    for (const Observed& o : sim.observed()) answered += o.result.error.empty();
    EXPECT_EQ(expired, 0u) << "a forward looked expired on arrival";
    EXPECT_EQ(sim.decisions(), answered);
    // No refill either: at most the limit per key over the whole run.
    SimCluster lab(options);
    lab.set_clock(skewed, GetParam());
    const Outcome o = run_no_refill(lab, kSecond);
    const std::string what =
        "n" + std::to_string(skewed) + " off by " + std::to_string(GetParam() / kMillisecond) +
        " ms (steady state: " + std::to_string(std::max<int64_t>(0, worst_excess(sim, 40))) +
        " beyond 40 per window at worst)";
    print(what.c_str(), lab, o);
    expect_exact(lab, o);
    EXPECT_EQ(o.refused, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Skews, ClockSkewTest,
                         ::testing::Values(30 * kSecond, -30 * kSecond, 600 * kMillisecond,
                                           -600 * kMillisecond),
                         [](const auto& info) {
                           const Nanos s = info.param;
                           return std::string(s < 0 ? "minus" : "plus") +
                                  std::to_string((s < 0 ? -s : s) / kMillisecond) + "ms";
                         });

// Loss and skew at once: a node 30 s behind on a 10%-lossy network.
TEST(LossyNetworkSimTest, LossAndSkewTogetherStayExact) {
  SimOptions options = lab_options(2700);
  options.retransmit_loss = 0.1;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  sim.set_clock(1, -30 * kSecond, -100);
  const Outcome o = run_no_refill(sim, 2 * kSecond);
  print("retransmit loss 10%, n1 30 s behind", sim, o);
  expect_exact(sim, o);
}

}  // namespace
}  // namespace drl::cluster::sim
