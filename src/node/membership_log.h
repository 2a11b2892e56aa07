// Log lines for membership changes (node/event_log.h): one event per change, named
// (member_joined, member_suspected, member_dead, member_alive, member_left) with the
// member's id and who suspected or declared it; and the ClusterWatch's events. Thread-safe.
#pragma once
#include "membership/events.h"
#include "service/cluster_watch.h"

namespace drl::node {

void log_membership_event(const membership::MembershipEvent& event);
// An event of the node's ClusterWatch (ring, hand-off, overload).
void log_watch_event(const service::WatchEvent& event);
}  // namespace drl::node
