// Messages of the SWIM protocol as values. The core (Swim) consumes and produces these;
// gossip_codec.h turns them into authenticated bytes. Plain values, no thread-safety concerns.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "membership/member.h"

namespace drl::membership {

// One member's state; piggy-backed on every packet and listed whole in a push/pull.
struct Update {
  std::string id;
  std::string address;
  MemberState state = MemberState::kAlive;
  Incarnation incarnation = 0;
  MemberMeta meta;
  std::string from;  // suspecter / declarer (suspect, dead); empty otherwise
};

struct Ping {
  uint64_t seq = 0;
  std::string target_id;  // a receiver whose id differs ignores the ping (address reuse)
};

// "Probe target_id for me": the receiver pings the target and forwards its ack, or sends a
// Nack when the target stays silent (Lifeguard), so the requester can tell who is slow.
struct PingReq {
  uint64_t seq = 0;
  std::string target_id;
  std::string target_address;
};

struct Ack {
  uint64_t seq = 0;
};

struct Nack {
  uint64_t seq = 0;
};

// Piggy-back only (leave announcements).
struct Gossip {};

// Full state exchange over the TCP sync channel; a join is a push/pull with a seed.
struct PushPull {
  bool join = false;
  bool reply = false;
  std::vector<Update> members;
};

using Body = std::variant<Ping, PingReq, Ack, Nack, Gossip, PushPull>;

struct Message {
  std::string sender_id;
  std::string sender_address;  // replies go here
  Body body;
  std::vector<Update> updates;  // piggy-backed gossip
};

enum class Transport : uint8_t {
  kUdp,      // best effort datagram, <= Config::max_packet_bytes
  kTcpSync,  // request/response over a sync connection; the reply comes back via receive()
};

struct Outgoing {
  std::string to;  // host:port
  Message message;
  Transport transport = Transport::kUdp;
};

}  // namespace drl::membership
