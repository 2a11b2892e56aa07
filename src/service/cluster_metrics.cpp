#include "service/cluster_metrics.h"

#include <array>

#include "ring/ring.h"

namespace drl::service {

void render_cluster_metrics(PrometheusText& t, const ClusterMetricsInput& in) {
  using membership::MemberState;
  std::array<uint64_t, 4> by_state{};
  for (const auto& m : in.members) ++by_state[static_cast<size_t>(m.state)];
  t.help("drl_members", "gauge",
         "Members this node knows, by state (itself included; dead and left members are "
         "forgotten some time after they die).");
  for (auto s :
       {MemberState::kAlive, MemberState::kSuspect, MemberState::kDead, MemberState::kLeft}) {
    t.sample("drl_members", {{"state", membership::to_string(s)}},
             by_state[static_cast<size_t>(s)]);
  }
  t.help("drl_checks_received_total", "counter",
         "Checks read from this node's clients (decided here or forwarded).");
  t.sample("drl_checks_received_total", {}, in.checks_received);
  if (in.checks_decided) {
    t.help("drl_checks_decided_here_total", "counter",
           "Checks decided by this node, for its own clients or forwarded to it.");
    t.sample("drl_checks_decided_here_total", {}, *in.checks_decided);
  }
  if (!in.status) return;
  const auto& s = *in.status;
  t.help("drl_ring_share", "gauge", "Fraction of the hash space this node owns (0..1).");
  t.sample("drl_ring_share", {}, s.ring_share);
  t.help("drl_ring_members", "gauge", "Alive members in the ring this node routes by.");
  t.sample("drl_ring_members", {}, static_cast<uint64_t>(s.members));
  t.help("drl_ring_epoch_info", "gauge",
         "Always 1; the label is the epoch (16 hex digits) of the ring this node routes by. "
         "Nodes that agree on the ring show the same epoch.");
  t.sample("drl_ring_epoch_info", {{"epoch", ring::epoch_text(s.epoch)}}, uint64_t{1});
  t.help("drl_keys_held", "gauge", "Keys in the store by role: owner or replica.");
  t.sample("drl_keys_held", {{"role", "owner"}}, s.keys_as_owner);
  t.sample("drl_keys_held", {{"role", "replica"}}, s.keys_as_replica);
  t.help("drl_replication_lag_seconds", "gauge",
         "Age of the oldest change of an owned key not yet shipped to its replicas, at most.");
  t.sample("drl_replication_lag_seconds", {}, static_cast<double>(s.replication_lag) * 1e-9);
  t.help("drl_handoff_in_progress", "gauge",
         "1 while this node fetches ranges it takes over from their previous owners.");
  t.sample("drl_handoff_in_progress", {}, uint64_t{s.handoff_pending ? 1u : 0u});
  if (in.handoff_retries) {
    t.help("drl_handoff_retries_total", "counter",
           "Hand-off requests sent again: no last chunk from the previous owner in time.");
    t.sample("drl_handoff_retries_total", {}, *in.handoff_retries);
  }
  t.help("drl_forwards_in_flight", "gauge", "Forwarded checks awaiting an answer.");
  t.sample("drl_forwards_in_flight", {}, static_cast<uint64_t>(s.in_flight));
}

}  // namespace drl::service
