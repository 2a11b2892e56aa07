// The membership and ring part of a node's metrics page: members by state, this node's ring
// share and epoch, keys held, replication lag, hand-off in progress, and the checks received
// here against those decided here. Pure: the node gathers the values; thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "cluster/cluster_node.h"
#include "membership/member.h"
#include "service/prometheus_text.h"

namespace drl::service {

struct ClusterMetricsInput {
  std::vector<membership::Member> members;       // gossip's list, self included
  std::optional<cluster::ClusterStatus> status;  // none: the cluster thread did not answer
  uint64_t checks_received = 0;                  // checks read from this node's clients
  // Checks decided here, for its clients or for other nodes; none when unknown (the cluster
  // thread did not answer).
  std::optional<uint64_t> checks_decided;
  // Hand-off requests this node sent again (no last chunk within handoff_timeout); none when
  // the cluster thread did not answer.
  std::optional<uint64_t> handoff_retries;
};

void render_cluster_metrics(PrometheusText& t, const ClusterMetricsInput& in);

}  // namespace drl::service
