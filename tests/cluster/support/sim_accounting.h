// Exact accounting over a simulated cluster, for the safety tests: not "the worst key stayed
// under a loose allowance" but what each node holds and what each fault episode may cost.
//
//  - replicas_behind_owners: after a quiet period (no load, replication rounds done), every
//    member of every key's preference list holds the owner's record or a newer one.
//  - decisions_missing_at_owners: every admission a client was told of (undegraded) is
//    counted in the owner's state of that window: decisions made off the owner (fail-over,
//    the previous owner during a hand-off) reached it.
//  - over_admission: per (key, window), admissions against the bound of the episodes that
//    touch the window, each computed from that key's own decided rate in that window (as
//    scripts/chaos/chaos.py does for real processes), instead of one global allowance.
//
// Each returns readable problems (empty: all held); tests ADD_FAILURE them. Fixed-window
// limits only (their state is a count per window); the functions taking a limit count only
// the checks decided under it (told apart by Decision::limit), so loads under other limits
// may run alongside.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/support/sim_cluster.h"
#include "limits/limit.h"

namespace drl::cluster::sim {

// Checks every key any alive, running node holds. The owner and the lists are those of the
// ring of the owner's own view (the test runs this once views agree).
std::vector<std::string> replicas_behind_owners(const SimCluster& sim, size_t replicas);

// Every key node `i` owns on its own ring for which a running node holds a newer record than
// `i` does (or `i` none): a new owner that took over without the current state.
std::vector<std::string> behind_the_cluster(const SimCluster& sim, size_t i);

struct FaultEpisode {
  enum class Kind { kCrashOrStall, kCut };
  Kind kind = Kind::kCrashOrStall;
  TimePoint start = 0;  // the fault
  TimePoint end = 0;    // the cluster agrees again (views and hand-offs settled)
};

struct OverAdmission {
  int64_t worst_excess = 0;  // admitted - limit, the largest over all (key, window)
  uint64_t worst_allowance = 0;
  std::string worst;                  // "key window: admitted N, allowance M"
  std::vector<std::string> problems;  // windows over their allowance
  size_t windows_touched = 0;         // (key, window) pairs some episode touches
};

// For every (key, window) still current at sim.now() (older windows' counts have been
// replaced): admitted <= the owner's count for that window, plus for a window some episode
// touches the episode allowance below (a fail-over decides from state up to delta old, and
// two deciders' records overwrite each other, not add). Equal or more unless decisions were
// lost; more when a decided check went unanswered.
std::vector<std::string> decisions_missing_at_owners(const SimCluster& sim,
                                                     const limits::Limit& limit,
                                                     const std::vector<FaultEpisode>& episodes,
                                                     const ClusterOptions& options);

// Allowance per (key, window): limit, plus for each episode whose influence (start until end
// plus one window) overlaps the window: ceil(rate x (delta + tau)) twice for a crash or stall
// (the fault, then the return), or limit + ceil(rate x (delta + tau)) for a cut; rate = the
// key's decided checks per second in that window, over the time it was asked in it (with
// load through the whole window: what scripts/chaos/chaos.py uses). delta and tau from
// `options`.
OverAdmission over_admission(const SimCluster& sim, const limits::Limit& limit,
                             const std::vector<FaultEpisode>& episodes,
                             const ClusterOptions& options);

}  // namespace drl::cluster::sim
