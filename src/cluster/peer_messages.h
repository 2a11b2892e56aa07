// The messages cluster nodes exchange, as values. Each maps field for field onto a message
// of proto/drl/peer.proto (package drl.v1), so the wire codec is mechanical. Ids are the
// members' ids (ring::Member::id).
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "cluster/check.h"
#include "ring/hash_range.h"
#include "store/store.h"

namespace drl::cluster {

// A check sent to another node for decision. request_id is the sender's; the answer echoes
// it. hops counts forwards so far (1 on the first). must_decide: the receiver decides
// without forwarding again (fail-over to a replica, hand-off, or views that disagree twice).
// deadline: the receiver must not decide the check at or after this time (0 = no deadline).
// The forwarder sets it a return margin before it stops waiting and fails over, so that an
// attempt the receiver decides is answered before the next attempt starts: at most one node
// decides each check. It is wall-clock time: node clocks are assumed to agree to well within
// the margin (docs/design.md, "Forward deadlines").
struct ForwardedCheck {
  uint64_t request_id = 0;
  uint32_t hops = 1;
  bool must_decide = false;
  TimePoint deadline = 0;
  std::string key;
  limits::Limit limit;
  limits::Request request;
  DegradeMode degrade = DegradeMode::kLocal;
};

// CheckAnswer::error of a relayed check the receiver will not decide: it has no view yet, or
// the key's range is being handed off to it. The forwarder tries the next node of the key's
// preference list, exactly as after a fail-over timeout (this is not a client-visible error).
inline constexpr char kNotReadyError[] = "not ready: no view or hand-off pending here";
// CheckAnswer::error of a relayed check that reached its receiver at or after its deadline:
// not decided, since the forwarder has moved (or is about to move) on to the next node. A
// forwarder still waiting moves down the list at once; one that moved on ignores it.
inline constexpr char kExpiredError[] = "expired: arrived after the forwarder's deadline";

struct CheckAnswer {
  uint64_t request_id = 0;
  limits::Decision decision;
  std::string decided_by;
  bool degraded = false;
  uint32_t hops = 0;
  std::string error;
};

// Checks bound for one destination, flushed on size or after ClusterOptions::flush_delay.
struct CheckBatch {
  std::vector<ForwardedCheck> checks;
};
struct AnswerBatch {
  std::vector<CheckAnswer> answers;
};
// The current state of keys the sender decided, for the other members of their preference
// lists. Installing is idempotent and ordered by KeyRecord::version.
struct ReplicaBatch {
  std::vector<store::KeyRecord> records;
};
// A node that takes over ranges asks their previous owner for the keys in them.
struct HandoffRequest {
  uint64_t request_id = 0;
  std::vector<ring::HashRange> ranges;
};
// One chunk of the answer; `last` marks the final chunk of request_id.
struct HandoffChunk {
  uint64_t request_id = 0;
  std::vector<store::KeyRecord> records;
  bool last = false;
};

using PeerMessage =
    std::variant<CheckBatch, AnswerBatch, ReplicaBatch, HandoffRequest, HandoffChunk>;

// A message for the shell to deliver to member `to` over the peer link.
struct Outgoing {
  std::string to;
  PeerMessage message;
};

}  // namespace drl::cluster
