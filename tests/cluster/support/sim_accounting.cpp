#include "cluster/support/sim_accounting.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/key_hash.h"

namespace drl::cluster::sim {
namespace {

std::optional<store::KeyRecord> record_of(const store::Store& store, const std::string& key) {
  std::optional<store::KeyRecord> out;
  const uint64_t h = key_hash(key);
  store.for_each_in_hash_range(h, h, [&](const store::KeyRecord& r) {
    if (r.key == key) out = r;
  });
  return out;
}

bool running(const SimCluster& sim, size_t i) { return sim.alive(i) && !sim.stalled(i); }

// `a` is the same record as `b` or a newer one (versions compare modulo 2^32, as install does).
bool same_or_newer(const store::KeyRecord& a, const store::KeyRecord& b) {
  const auto diff =
      static_cast<int32_t>(static_cast<uint32_t>(a.version) - static_cast<uint32_t>(b.version));
  if (diff != 0) return diff > 0;
  return a.state == b.state && a.log == b.log;
}

size_t index_of(const SimCluster& sim, const std::string& id) {
  for (size_t i = 0; i < sim.size(); ++i) {
    if (sim.id(i) == id) return i;
  }
  return sim.size();
}

}  // namespace

std::vector<std::string> replicas_behind_owners(const SimCluster& sim, size_t replicas) {
  std::set<std::string> keys;
  for (size_t i = 0; i < sim.size(); ++i) {
    if (!running(sim, i)) continue;
    sim.store(i).for_each_in_hash_range(0, ~uint64_t{0}, [&](const store::KeyRecord& r) {
      if (r.expires_at > sim.now()) keys.insert(r.key);
    });
  }
  std::vector<std::string> problems;
  for (const std::string& key : keys) {
    const size_t owner = sim.owner_of(key);
    const std::optional<store::KeyRecord> at_owner = record_of(sim.store(owner), key);
    const ring::Ring& ring = sim.node(owner).ring();
    for (ring::MemberIndex m : ring.preference_list(key_hash(key), replicas)) {
      const size_t r = index_of(sim, ring.member(m).id);
      if (r == owner || r == sim.size() || !running(sim, r)) continue;
      const std::optional<store::KeyRecord> at_replica = record_of(sim.store(r), key);
      std::ostringstream problem;
      if (!at_owner) {
        if (at_replica) {
          problem << "key " << key << ": replica " << sim.id(r) << " holds version "
                  << at_replica->version << ", owner " << sim.id(owner) << " holds nothing";
        }
      } else if (!at_replica) {
        problem << "key " << key << ": replica " << sim.id(r) << " lacks it (owner "
                << sim.id(owner) << " at version " << at_owner->version << ")";
      } else if (!same_or_newer(*at_replica, *at_owner)) {
        problem << "key " << key << ": replica " << sim.id(r) << " at version "
                << at_replica->version << " (count " << at_replica->state.a << "), owner "
                << sim.id(owner) << " at " << at_owner->version << " (count " << at_owner->state.a
                << ")";
      }
      if (!problem.str().empty()) problems.push_back(problem.str());
    }
  }
  return problems;
}

std::vector<std::string> behind_the_cluster(const SimCluster& sim, size_t i) {
  const ring::Ring& ring = sim.node(i).ring();
  std::map<std::string, std::pair<size_t, store::KeyRecord>> newest;
  for (size_t j = 0; j < sim.size(); ++j) {
    if (!running(sim, j)) continue;
    sim.store(j).for_each_in_hash_range(0, ~uint64_t{0}, [&](const store::KeyRecord& r) {
      if (r.expires_at <= sim.now() || ring.member(ring.owner(key_hash(r.key))).id != sim.id(i)) {
        return;
      }
      auto it = newest.find(r.key);
      if (it == newest.end() || !same_or_newer(it->second.second, r)) newest[r.key] = {j, r};
    });
  }
  std::vector<std::string> problems;
  for (const auto& [key, held] : newest) {
    const std::optional<store::KeyRecord> mine = record_of(sim.store(i), key);
    if (mine && same_or_newer(*mine, held.second)) continue;
    std::ostringstream problem;
    problem << "key " << key << ": owner " << sim.id(i) << " holds "
            << (mine ? "version " + std::to_string(mine->version) : std::string("nothing")) << ", "
            << sim.id(held.first) << " holds version " << held.second.version << " (count "
            << held.second.state.a << ")";
    problems.push_back(problem.str());
  }
  return problems;
}

namespace {

// Per (key, window end): the key's decided checks (allowed or denied, undegraded) and the
// span they were asked over, so a rate can be read from them.
// Only checks under `limit` (told apart by Decision::limit), so loads under other limits
// can run alongside.
struct Decided {
  uint64_t checks = 0;
  uint64_t admitted = 0;
  TimePoint first = 0;
  TimePoint last = 0;
};

std::map<std::pair<std::string, TimePoint>, Decided> decided_per_window(
    const SimCluster& sim, const limits::Limit& limit) {
  std::map<std::pair<std::string, TimePoint>, Decided> out;
  for (const Observed& o : sim.observed()) {
    if (o.result.degraded || !o.result.error.empty()) continue;
    if (o.result.decision.limit != limit.limit) continue;
    Decided& d = out[{o.key, o.result.decision.reset_at}];
    d.admitted += o.result.decision.allowed;
    if (d.checks++ == 0) d.first = o.asked_at;
    d.first = std::min(d.first, o.asked_at);
    d.last = std::max(d.last, o.answered_at);
  }
  return out;
}

// The allowance a window gets beyond `base` from the episodes that touch it (the design's
// bound): ceil(rate x (delta + tau)) twice per crash or stall, limit + once per cut; rate =
// the key's decided checks per second while it was asked in that window (its actual rate,
// not averaged over a long window it was asked in briefly).
uint64_t episode_allowance(const Decided& d, TimePoint window_start, TimePoint window_end,
                           const limits::Limit& limit, const std::vector<FaultEpisode>& episodes,
                           const ClusterOptions& options, bool* touched) {
  const Nanos span = std::max<Nanos>(d.last - d.first, kMillisecond);
  const double rate = static_cast<double>(d.checks) * kSecond / static_cast<double>(span);
  const double delta_plus_tau =
      static_cast<double>(options.replication_interval + options.failover_timeout) / kSecond;
  const auto per_fault = static_cast<uint64_t>(std::ceil(rate * delta_plus_tau));
  uint64_t allowance = 0;
  for (const FaultEpisode& e : episodes) {
    if (e.start >= window_end || e.end + limit.window <= window_start) continue;
    *touched = true;
    allowance += e.kind == FaultEpisode::Kind::kCut ? limit.limit + per_fault : 2 * per_fault;
  }
  return allowance;
}

}  // namespace

std::vector<std::string> decisions_missing_at_owners(const SimCluster& sim,
                                                     const limits::Limit& limit,
                                                     const std::vector<FaultEpisode>& episodes,
                                                     const ClusterOptions& options) {
  std::vector<std::string> problems;
  for (const auto& [key_window, d] : decided_per_window(sim, limit)) {
    const auto& [key, window_end] = key_window;
    const uint64_t admitted = d.admitted;
    if (window_end <= sim.now()) continue;
    const size_t owner = sim.owner_of(key);
    const std::optional<store::KeyRecord> record = record_of(sim.store(owner), key);
    const TimePoint window_start = window_end - limit.window;
    uint64_t counted = 0;
    if (record && record->state.t == window_start) counted = record->state.a;
    bool touched = false;
    const uint64_t may_miss =
        episode_allowance(d, window_start, window_end, limit, episodes, options, &touched);
    if (counted + may_miss < admitted) {
      std::ostringstream problem;
      problem << "key " << key << " window ending " << window_end << ": " << admitted
              << " admitted, owner " << sim.id(owner) << " counts " << counted << " (may miss "
              << may_miss << ")";
      problems.push_back(problem.str());
    }
  }
  return problems;
}

OverAdmission over_admission(const SimCluster& sim, const limits::Limit& limit,
                             const std::vector<FaultEpisode>& episodes,
                             const ClusterOptions& options) {
  OverAdmission out;
  out.worst_excess = -static_cast<int64_t>(limit.limit);
  for (const auto& [key_window, d] : decided_per_window(sim, limit)) {
    const TimePoint end = key_window.second;
    const uint64_t admitted = d.admitted;
    bool touched = false;
    const uint64_t allowance = limit.limit + episode_allowance(d, end - limit.window, end, limit,
                                                               episodes, options, &touched);
    out.windows_touched += touched;
    std::ostringstream what;
    what << "key " << key_window.first << " window ending " << end << ": " << admitted
         << " admitted, allowance " << allowance << " (limit " << limit.limit << ", " << d.checks
         << " decided)";
    const int64_t excess = static_cast<int64_t>(admitted) - static_cast<int64_t>(limit.limit);
    if (excess > out.worst_excess) {
      out.worst_excess = excess;
      out.worst_allowance = allowance;
      out.worst = what.str();
    }
    if (admitted > allowance) out.problems.push_back(what.str());
  }
  return out;
}

}  // namespace drl::cluster::sim
