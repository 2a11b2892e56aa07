// Membership changes reported to the cluster layer (drained from Swim::take_events()).
#pragma once
#include <string>
#include <string_view>

#include "membership/member.h"

namespace drl::membership {

enum class EventKind : uint8_t {
  kJoined,   // first seen alive (or back after having left)
  kSuspect,  // suspected; still a member
  kDead,     // declared dead
  kAlive,    // alive again after suspicion or death (refuted or restarted)
  kLeft,     // left gracefully
  kUpdated,  // alive with a higher incarnation (e.g. new metadata)
};

std::string_view to_string(EventKind kind);

struct MembershipEvent {
  EventKind kind;
  Member member;  // the member's state after the change
  TimePoint at = 0;
  std::string by;  // kSuspect, kDead: the node that suspected or declared it (may be unknown)
};

}  // namespace drl::membership
