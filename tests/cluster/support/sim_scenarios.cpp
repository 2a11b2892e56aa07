#include "cluster/support/sim_scenarios.h"

#include "cluster/support/sim_accounting.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace drl::cluster::sim {

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

uint64_t most_allowed_per_key(const SimCluster& sim) {
  std::map<std::string, uint64_t> allowed;
  uint64_t most = 0;
  for (const Observed& o : sim.observed()) {
    if (o.result.decision.allowed) most = std::max(most, ++allowed[o.key]);
  }
  return most;
}

void expect_no_violations(const SimCluster& sim) {
  for (const auto& v : sim.violations()) ADD_FAILURE() << v;
}

void expect_none(const std::vector<std::string>& problems, const char* what) {
  for (size_t i = 0; i < problems.size() && i < 10; ++i) {
    ADD_FAILURE() << what << ": " << problems[i];
  }
  if (problems.size() > 10) ADD_FAILURE() << what << ": " << problems.size() - 10 << " more";
}

void steady_state_is_exact(SimCluster& sim) {
  const limits::Limit limit = fixed_window(40, kSecond);
  Load load{keys(30), limit, 1};
  sim.run(100 * kMillisecond);  // hand-off among the founders
  sim.run(3 * kSecond, &load);
  sim.run(200 * kMillisecond);
  expect_no_violations(sim);
  EXPECT_EQ(sim.unanswered(), 0u);
  size_t full_windows = 0;
  for (const auto& [key_window, n] : sim.admissions()) {
    EXPECT_LE(n, limit.limit) << key_window.first << " window ending " << key_window.second;
    full_windows += n == limit.limit;
  }
  // Each key sees ~3300 checks/s against 40/s: every window that is entirely inside the run
  // fills exactly to the limit.
  EXPECT_GE(full_windows, 30u * 2);
}

size_t restarted_owner_keeps_its_keys(SimCluster& sim) {
  // One long window: the budget is spent early, so any fresh budget would show.
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
  sim.run(100 * kMillisecond);  // replication rounds after the last change
  expect_no_violations(sim);
  expect_none(replicas_behind_owners(sim, 3), "after the restart");
  EXPECT_LE(worst_excess(sim, limit.limit), 0);
  EXPECT_GT(sim.node(owner).stats().handoff_records_installed, 0u);
  return owner;
}

size_t join_while_spending_keeps_one_decider(SimCluster& sim) {
  const limits::Limit limit = fixed_window(100, 60 * kSecond);
  Load load{keys(400, "ip:"), limit, 1};
  load.every_steps = 4;  // ~62 checks/s per key: the budgets run out ~1.6 s in
  sim.run(100 * kMillisecond);
  sim.run(kSecond, &load);
  const size_t newcomer = sim.join();
  sim.run(3 * kSecond, &load);
  sim.run(500 * kMillisecond);
  expect_no_violations(sim);
  expect_none(replicas_behind_owners(sim, 3), "after the join");
  EXPECT_EQ(sim.unanswered(), 0u);
  const int64_t excess = worst_excess(sim, limit.limit);
  std::printf("join under load: worst extra admissions per key %lld\n",
              static_cast<long long>(excess));
  EXPECT_LE(excess, 1);  // at most the checks of one round trip around the hand-off
  return newcomer;
}

size_t joiner_without_a_view_decides_nothing_fresh(SimCluster& sim) {
  const limits::Limit limit = fixed_window(100, 60 * kSecond);
  Load load{keys(40, "ip:"), limit, 1};
  load.every_steps = 2;  // ~200 checks/s per key: the budgets are spent before the join
  sim.run(100 * kMillisecond);
  sim.run(kSecond, &load);
  const size_t newcomer = sim.join();
  sim.run(kSecond, &load);
  sim.run(500 * kMillisecond);
  expect_no_violations(sim);
  expect_none(replicas_behind_owners(sim, 3), "after the join");
  EXPECT_EQ(sim.unanswered(), 0u);
  const uint64_t most = most_allowed_per_key(sim);
  std::printf("joiner without a view: most admissions per key %llu (limit %llu)\n",
              static_cast<unsigned long long>(most), static_cast<unsigned long long>(limit.limit));
  EXPECT_LE(most, limit.limit + 1);
  EXPECT_EQ(sim.node(newcomer).stats().degraded, 0u);
  return newcomer;
}

}  // namespace drl::cluster::sim
