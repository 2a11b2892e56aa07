// Values describing cluster members, as the membership layer (SWIM + Lifeguard) sees them.
// Plain values: copy freely, no thread-safety concerns of their own.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/time.h"

namespace drl::membership {

enum class MemberState : uint8_t { kAlive, kSuspect, kDead, kLeft };

std::string_view to_string(MemberState state);

// Raised only by the member itself (to refute suspicion, announce metadata, or leave).
using Incarnation = uint64_t;

inline constexpr uint32_t kProtocolVersion = 1;

struct MemberMeta {
  uint32_t protocol_version = kProtocolVersion;
  std::map<std::string, std::string> tags;  // small map owned by the cluster layer
  friend bool operator==(const MemberMeta&, const MemberMeta&) = default;
};

// What a node says about itself.
struct MemberInfo {
  std::string id;       // unique, stable across restarts
  std::string address;  // host:port; the node's one port for client TCP, peer TCP and gossip UDP
  MemberMeta meta;
};

struct Member {
  MemberInfo info;
  MemberState state = MemberState::kAlive;
  Incarnation incarnation = 0;
  TimePoint state_since = 0;  // when this node last saw the state change

  bool live() const { return state == MemberState::kAlive || state == MemberState::kSuspect; }
};

}  // namespace drl::membership
