// Log lines for membership and ring changes (node/event_log.h): one event per change, named
// (member_joined, member_suspected, member_dead, member_alive, member_left) with the
// member's id and who suspected or declared it. Thread-safe.
#pragma once
#include "membership/events.h"

namespace drl::node {

void log_membership_event(const membership::MembershipEvent& event);
}  // namespace drl::node
