// The messages cluster nodes exchange, as values. Each maps field for field onto a message
// of proto/drl/peer.proto (package drl.v1), so the wire codec is mechanical. Ids are the
// members' ids (ring::Member::id).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cluster/check.h"
#include "ring/hash_range.h"
#include "store/store.h"

namespace drl::cluster {

// A check sent to another node for decision. request_id is the sender's; the answer echoes
// it, and every attempt of one check carries the same id. hops counts forwards so far (1 on
// the first). must_decide: the receiver decides without forwarding again (the hand-off rule:
// a new owner sends its range's checks to the previous owner until the hand-off completes).
// origin / origin_id: the node that first forwarded the check and its request id; empty / 0
// means the sender itself and request_id. A relay fills them in, so the decider recognises
// every attempt of one check, however it travelled, and answers a repeated one from memory
// instead of deciding it again (docs/design.md, "One decider while the owner lives").
// budget: how long the sender still waits for the answer, a duration, never a wall-clock
// instant: the receiver converts it to its own clock on receipt (deadline, below), so node
// clocks need not agree. 0 = no budget given (the receiver applies check_timeout).
// deadline: this node's own time after which nobody waits for the check; never on the wire.
// policy / client_shadow: the policy the entry node resolved `limit` (and degrade,
// memory_full, request.shadow) from, "" for an inline limit, and whether the client asked
// for a dry run itself. The decider resolves `policy` in its own set and decides under that
// (ClusterNode::set_policy_lookup); `limit` and the rest are what a decider that does not
// know the name (an older build, or a set without it) decides with.
struct ForwardedCheck {
  uint64_t request_id = 0;
  uint32_t hops = 1;
  bool must_decide = false;
  Nanos budget = 0;
  std::string origin;
  uint64_t origin_id = 0;
  TimePoint deadline = 0;  // local only
  std::string key;
  limits::Limit limit;
  limits::Request request;
  DegradeMode degrade = DegradeMode::kLocal;
  limits::MemoryFullMode memory_full = limits::MemoryFullMode::kNodeDefault;
  std::string policy;
  bool client_shadow = false;
};

// CheckAnswer::error of a relayed check the receiver will not decide: it has no view yet, or
// the key's range is being handed off to it and the check cannot travel further. The
// forwarder keeps trying, on its own schedule (this is not a client-visible error).
inline constexpr char kNotReadyError[] = "not ready: no view or hand-off pending here";
// CheckAnswer::error of a relayed check that reached its receiver at or after its deadline
// (or that a relay gave up on at it): not decided, since nobody waits for it any more.
inline constexpr char kExpiredError[] = "expired: arrived after the forwarder's deadline";

// limit: the limit the decider decided under when it is not the one the check carried (the
// check's policy means another limit in the decider's set); the entry node describes a
// denial with it.
struct CheckAnswer {
  uint64_t request_id = 0;
  limits::Decision decision;
  std::string decided_by;
  bool degraded = false;
  uint32_t hops = 0;
  std::string error;
  std::optional<limits::Limit> limit;
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

// The cluster's policy set (cluster/policy_spread.h). A digest names the set its sender
// holds; an offer carries a whole set. version 0 is a node's own --policies file (and
// --rls-config), never offered; hash is set_hash(limits::PolicyLoad::content_hash of yaml,
// rls); origin names the node where the set was pushed (or reloaded). rls: the Envoy RLS
// configuration (envoyproxy/ratelimit YAML, documents separated by `---` lines), "" for none.
struct PolicyDigest {
  uint64_t version = 0;
  uint64_t hash = 0;
};
struct PolicyOffer {
  uint64_t version = 0;
  uint64_t hash = 0;
  std::string yaml;
  std::string origin;
  std::string rls;
};

// The order of the alternatives is the PeerMessage oneof's (body field = index + 1).
using PeerMessage = std::variant<CheckBatch, AnswerBatch, ReplicaBatch, HandoffRequest,
                                 HandoffChunk, PolicyDigest, PolicyOffer>;

// A message for the shell to deliver to member `to` over the peer link.
struct Outgoing {
  std::string to;
  PeerMessage message;
};

}  // namespace drl::cluster
