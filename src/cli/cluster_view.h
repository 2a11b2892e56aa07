// `drl status --cluster`: every member as the answering nodes see it together, and whether
// the alive ones agree on the ring and the policy set. Pure (the command gathers the
// statuses); not thread-safe.
//
// Members are shown consistently whichever node is asked: the list is the union of every
// answering node's member list, and each member's state is the one with the highest
// incarnation, ties broken as SWIM breaks them (left > dead > suspect > alive). So a dead
// member one node has already forgotten and another still lists is shown dead, with how many
// of the answering nodes know it.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drl/client.h"

namespace drl::cli {

struct MemberRow {
  std::string id, address, state;
  uint64_t incarnation = 0;
  size_t known_by = 0;  // answering nodes that list it
  // From its own status, when it answered:
  std::optional<NodeStatus> status;
  double checks_per_second = -1;  // -1: not measured (one answer only)
};

struct ClusterView {
  std::vector<MemberRow> members;  // by id
  size_t answered = 0;
  // every live member answered, with one ring epoch and one policy set (hash and version)
  bool agree = false;
  std::string agreement;  // the line saying so, or what differs
};

// A node's policy set as printed: "<hash, 16 hex digits> v<version>".
std::string policy_set_label(const NodeStatus& s);

// `first` and `second`: the statuses that answered, by node id, at two moments (`second` may
// be empty: no rate then).
ClusterView build_cluster_view(const std::map<std::string, NodeStatus>& first,
                               const std::map<std::string, NodeStatus>& second);

}  // namespace drl::cli
