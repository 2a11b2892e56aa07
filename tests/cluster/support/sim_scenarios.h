// Measures and scenarios shared by the cluster's simulation tests, which run each scenario
// twice: with every check going through the ClusterNode (cluster_sim_test) and with owned
// keys decided inline by the shell's fast path (inline_decision_sim_test,
// SimOptions::inline_owned). A scenario drives the given simulator and checks, with gtest
// EXPECTs, what every variant promises (no invariant broken, every check answered, no key
// over its bound); the caller checks what only its variant promises (who decided).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/support/sim_cluster.h"
#include "limits/limit.h"

namespace drl::cluster::sim {

// DRL_SEED when set (to replay a failure), else `fallback`.
uint64_t seed_or(uint64_t fallback);
limits::Limit fixed_window(uint64_t limit, Nanos window);
std::vector<std::string> keys(size_t n, const std::string& prefix = "user:");
// Largest (admitted - limit) over all (key, window) pairs; negative when under.
int64_t worst_excess(const SimCluster& sim, uint64_t limit);
// Undegraded admissions of `key`.
uint64_t allowed_for(const SimCluster& sim, const std::string& key);
// Everything a client was told "allowed", per key, degraded answers included (a degraded
// "local" answer from a fresh budget is an admission too): the most for any key.
uint64_t most_allowed_per_key(const SimCluster& sim);
void expect_no_violations(const SimCluster& sim);
// One gtest failure per problem (the first 10, then how many more), prefixed with `what`.
void expect_none(const std::vector<std::string>& problems, const char* what);

// 30 keys at 40 per second, clients on every node for 3 s: every window inside the run
// fills exactly to the limit.
void steady_state_is_exact(SimCluster& sim);
// The owner of "api:3" crashes under load and restarts: no key gets a fresh budget. Returns
// the owner's index.
size_t restarted_owner_keeps_its_keys(SimCluster& sim);
// A node joins while 400 keys spend their budgets: at most one round trip's checks around
// the hand-off beyond the limit. Returns the newcomer's index.
size_t join_while_spending_keeps_one_decider(SimCluster& sim);
// The others learn of a newcomer before it has its first view: forwards reaching it then
// are not decided from an empty store. Returns the newcomer's index.
size_t joiner_without_a_view_decides_nothing_fresh(SimCluster& sim);

}  // namespace drl::cluster::sim
