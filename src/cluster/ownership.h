// Which checks a node may decide at once, on whatever thread received them, straight into its
// store, without going through its ClusterNode: those for keys it owns on a *settled* view (a
// view whose hand-offs are all done, above min_view_size). Everything else (keys of other
// owners, ranges being handed over, no view yet, degrade) must go through the ClusterNode.
//
// An immutable value computed by ClusterNode::ownership(). It is only true while the node's
// ClusterNode says so: a shell that decides from a copy on other threads must keep those
// decisions from straddling any ClusterNode call that changes ownership (set_view, or any
// call after which ownership_changes() differs), and republish a fresh copy inside that
// exclusion (net/cluster_decider.h does). Decisions taken this way go to the store like the
// ClusterNode's own, so replication (Store::changed_since) and hand-off (a store scan) see them.
// Thread-safe to read (const).
#pragma once
#include <cstdint>
#include <string>

#include "ring/ring.h"

namespace drl::cluster {

class Ownership {
 public:
  Ownership() = default;  // decides nothing: no view, not settled
  Ownership(std::string self, ring::Ring ring) : self_(std::move(self)), ring_(std::move(ring)) {}

  // True when a check whose store key hashes to `hash` (common/key_hash.h) may be decided
  // here at once: this node owns it on a settled view.
  bool decides(uint64_t hash) const {
    return !ring_.empty() && ring_.member(ring_.owner(hash)).id == self_;
  }
  // The epoch of the settled ring; 0 when nothing is decided here.
  uint64_t epoch() const { return ring_.epoch(); }

 private:
  std::string self_;
  ring::Ring ring_;  // empty unless settled
};

}  // namespace drl::cluster
