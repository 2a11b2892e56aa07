// All or nothing across owners in the cluster simulator (service/all_or_nothing.h over the
// cluster's real routing, forwarding, replication and fail-over): random requests of one to
// three keys enter random nodes, each group decided by decide_all_or_nothing through a
// CheckDecider that asks the simulated cluster. With no fault, every key ends charged by
// exactly the groups that passed (the refunds of denied groups all land), and no key passes
// more groups than its limit. With crashes and restarts, a group caught by a crash may stay
// charged (fewer admissions, never more), and the extra admissions per key stay within the
// bound the churn test holds single checks to.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"
#include "common/clock.h"
#include "service/all_or_nothing.h"

namespace drl::cluster::sim {
namespace {

// The simulated wall clock of the node the current group entered.
class SimClock final : public Clock {
 public:
  explicit SimClock(const SimCluster& sim) : sim_(sim) {}
  void at(size_t node) { node_ = node; }
  TimePoint now() const override { return sim_.local_now(node_); }
  Nanos monotonic() const override { return sim_.now(); }

 private:
  const SimCluster& sim_;
  size_t node_ = 0;
};

// A CheckDecider that asks the simulated cluster at the entry node `at()` names, and completes
// a call once every one of its checks was answered (poll() after each step of the sim). A
// check the entry node cannot take (it is down) completes as UNAVAILABLE; a group whose entry
// node crashes with checks in flight never completes, as a client's request would be lost.
class SimDecider final : public service::CheckDecider {
 public:
  explicit SimDecider(SimCluster& sim) : sim_(sim) {}
  void at(size_t node) { node_ = node; }

  void decide(std::span<const service::CheckCall> calls, service::CheckCompletion done) override {
    auto p = std::make_shared<Pending>();
    p->outcomes.resize(calls.size());
    p->done = std::move(done);
    p->node = node_;
    for (size_t i = 0; i < calls.size(); ++i) {
      const uint64_t token = sim_.ask(node_, std::string(calls[i].key), calls[i].limit,
                                      DegradeMode::kClosed, calls[i].request);
      if (token == 0) {
        p->outcomes[i].code = service::CheckCode::kUnavailable;
        continue;
      }
      ++p->waiting;
      by_token_[token] = {p, i};
    }
    if (p->waiting == 0) p->done(p->outcomes);
  }

  // Completes the calls whose last answer arrived since the previous poll.
  void poll() {
    const auto& seen = sim_.observed();
    for (; read_ < seen.size(); ++read_) {
      auto it = by_token_.find(seen[read_].result.client_token);
      if (it == by_token_.end()) continue;
      auto [p, i] = it->second;
      by_token_.erase(it);
      const CheckResult& r = seen[read_].result;
      service::CheckOutcome& o = p->outcomes[i];
      o.decision = r.decision;
      o.degraded = r.degraded;
      if (!r.error.empty()) o.code = service::CheckCode::kUnavailable;
      if (--p->waiting == 0) {
        node_ = p->node;  // a refund pass goes through the same entry node
        p->done(p->outcomes);
      }
    }
  }

 private:
  struct Pending {
    std::vector<service::CheckOutcome> outcomes;
    service::CheckCompletion done;
    size_t waiting = 0;
    size_t node = 0;
  };
  SimCluster& sim_;
  size_t node_ = 0;
  size_t read_ = 0;
  std::map<uint64_t, std::pair<std::shared_ptr<Pending>, size_t>> by_token_;
};

struct GroupTally {
  std::map<std::string, uint64_t> passed;  // groups that passed, per key
  uint64_t groups = 0, completed = 0, passed_groups = 0;
};

// Starts `per_step` random groups every step for `duration`, with `between` run between
// steps; `event` (may be empty) runs before each step.
void load(SimCluster& sim, SimDecider& decider, SimClock& clock,
          const std::vector<std::string>& key_set, const limits::Limit& limit, Nanos duration,
          GroupTally& run, const std::function<void()>& event = {}) {
  const Nanos step = 20 * kMillisecond;
  for (Nanos t = 0; t < duration; t += step) {
    if (event) event();
    for (int g = 0; g < 3; ++g) {
      size_t entry = sim.random().below(sim.size());
      if (!sim.alive(entry)) continue;
      const size_t n = 1 + sim.random().below(3);
      std::set<std::string> chosen;
      while (chosen.size() < n) chosen.insert(key_set[sim.random().below(key_set.size())]);
      // The calls borrow their keys: keep them alive with the completion.
      auto keys = std::make_shared<std::vector<std::string>>(chosen.begin(), chosen.end());
      std::vector<service::CheckCall> calls(keys->size());
      for (size_t i = 0; i < keys->size(); ++i) {
        calls[i].key = (*keys)[i];
        calls[i].has_inline = true;
        calls[i].limit = limit;
        calls[i].request.cost = 1;
      }
      ++run.groups;
      decider.at(entry);
      clock.at(entry);
      service::decide_all_or_nothing(
          decider, clock, calls, [&run, keys](std::span<const service::CheckOutcome> out) {
            ++run.completed;
            for (const auto& o : out) {
              if (o.code != service::CheckCode::kOk || !o.decision.allowed) return;
            }
            ++run.passed_groups;
            for (const auto& k : *keys) ++run.passed[k];
          });
    }
    sim.run(step);
    decider.poll();
  }
}

// What each key has spent, asked with a cost of 0 through node `via` once the cluster is quiet.
std::map<std::string, uint64_t> spent(SimCluster& sim, size_t via,
                                      const std::vector<std::string>& key_set,
                                      const limits::Limit& limit) {
  std::map<std::string, uint64_t> out;
  std::map<uint64_t, std::string> tokens;
  for (const auto& k : key_set) {
    tokens[sim.ask(via, k, limit, DegradeMode::kClosed, limits::Request{.cost = 0})] = k;
  }
  sim.run(500 * kMillisecond);
  for (const auto& o : sim.observed()) {
    auto it = tokens.find(o.result.client_token);
    if (it != tokens.end()) out[it->second] = limit.limit - o.result.decision.remaining;
  }
  return out;
}

TEST(AllOrNothingSim, AcrossOwnersEveryKeyIsChargedByExactlyThePassedGroups) {
  SimOptions options;
  options.seed = seed_or(1601);
  options.nodes = 5;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(12, 3600 * kSecond);
  const auto key_set = keys(20, "aon:");
  SimDecider decider(sim);
  SimClock clock(sim);
  sim.run(100 * kMillisecond);
  GroupTally run;
  load(sim, decider, clock, key_set, limit, 4 * kSecond, run);
  sim.run(kSecond);
  decider.poll();
  EXPECT_EQ(run.completed, run.groups);
  EXPECT_GT(run.passed_groups, 0u);
  EXPECT_LT(run.passed_groups, run.groups)
      << "some groups must be denied for the test to mean anything";
  const auto charged = spent(sim, 0, key_set, limit);
  for (const auto& k : key_set) {
    EXPECT_LE(run.passed[k], limit.limit) << k;
    EXPECT_EQ(charged.at(k), run.passed[k]) << k << ": a denied group left a charge, or lost one";
  }
}

TEST(AllOrNothingSim, CrashesNeverAdmitAGroupPastTheBound) {
  SimOptions options;
  options.seed = seed_or(1602);
  options.nodes = 6;
  options.view_lag = 150 * kMillisecond;
  SimCluster sim(options);
  SCOPED_TRACE(sim.describe_seed());
  const limits::Limit limit = fixed_window(40, 3600 * kSecond);
  const auto key_set = keys(20, "aon-crash:");
  SimDecider decider(sim);
  SimClock clock(sim);
  sim.run(100 * kMillisecond);
  GroupTally run;
  std::set<size_t> crashed;
  int tick = 0;
  load(sim, decider, clock, key_set, limit, 8 * kSecond, run, [&] {
    if (++tick % 25 != 0) return;  // every 0.5 s
    size_t alive = 0;
    for (size_t i = 0; i < sim.size(); ++i) alive += sim.alive(i);
    if (alive > 4 && sim.random().unit() < 0.6) {
      size_t victim = sim.random().below(sim.size());
      while (!sim.alive(victim)) victim = (victim + 1) % sim.size();
      sim.crash(victim);
      crashed.insert(victim);
    } else if (!crashed.empty()) {
      sim.restart(*crashed.begin());
      crashed.erase(crashed.begin());
    }
  });
  sim.run(kSecond);
  decider.poll();
  EXPECT_GT(run.passed_groups, 0u);
  EXPECT_LT(run.passed_groups, run.groups) << "some groups must be denied";
  uint64_t worst = 0;
  for (const auto& [k, n] : run.passed) worst = std::max(worst, n);
  std::printf(
      "all or nothing under churn: %llu groups, %llu completed, %llu passed; the most "
      "passed for one key %llu (limit %llu)\n",
      static_cast<unsigned long long>(run.groups), static_cast<unsigned long long>(run.completed),
      static_cast<unsigned long long>(run.passed_groups), static_cast<unsigned long long>(worst),
      static_cast<unsigned long long>(limit.limit));
  // The churn bound of single checks (cluster_sim_test, RandomChurnKeepsInvariants): a few
  // extra per key and window, never a second budget.
  for (const auto& k : key_set) EXPECT_LE(run.passed[k], limit.limit + limit.limit / 10) << k;
}

}  // namespace
}  // namespace drl::cluster::sim
