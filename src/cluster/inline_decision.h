// The fast path every shell of the cluster core takes (net/cluster_decider.h, and the
// simulator's tests/cluster/support/sim_cluster.cpp): a check whose key this node decides
// now (Ownership::decides) goes straight into its store, without the ClusterNode. The caller
// keeps inline decisions from straddling an ownership change (ownership.h). Pure apart from
// the store it is given; as thread-safe as the store.
#pragma once
#include <string_view>

#include "cluster/ownership.h"
#include "common/time.h"
#include "limits/limit.h"
#include "store/backend.h"

namespace drl::cluster {

// True and `out` filled when `ownership` says the key of store key `key` is decided here
// (a key the store cannot hold is handled by `rule`); false (nothing done) when the check
// must go through the ClusterNode.
bool decide_inline(const Ownership& ownership, store::Backend& store, std::string_view key,
                   const limits::Limit& limit, const limits::Request& request, TimePoint now,
                   store::MemoryRule rule, limits::Decision& out);

}  // namespace drl::cluster
