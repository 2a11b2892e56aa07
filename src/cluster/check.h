// What a client asks the cluster and what it gets back, as plain values. The node's session
// builds a ClientCheck from a decoded frame and turns a CheckResult back into a response.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "limits/limit.h"
#include "limits/policy.h"

namespace drl::cluster {

// What a node does with a check when it can reach no node of the key's preference list (or
// its view is below ClusterOptions::min_view_size): the policy's degrade mode. kLocal decides
// on this node alone with limit (and burst) divided by the cluster size; kOpen allows;
// kClosed denies.
using DegradeMode = limits::DegradeMode;

struct ClientCheck {
  uint64_t client_token = 0;  // chosen by the caller, echoed in the CheckResult
  std::string key;
  limits::Limit limit;
  limits::Request request;
  DegradeMode degrade = DegradeMode::kLocal;
  limits::MemoryFullMode memory_full = limits::MemoryFullMode::kNodeDefault;  // the policy's
  // The named policy the limit was resolved from ("" for a limit the client gave inline) and
  // whether the client itself asked for a dry run (request.shadow may also be the policy's).
  // A node that decides a forwarded check resolves the name in its own policy set.
  std::string policy;
  bool client_shadow = false;
  // When the client stops waiting (0 = never): a forward carries it to the owner, which does
  // not decide a check that reaches it later, and no node tries the check past it.
  TimePoint deadline = 0;
};

// CheckResult::error of a check whose client deadline passed before any node of its
// preference list decided it (the forwards were lost, slow or refused as late).
inline constexpr char kClientDeadlineError[] =
    "deadline exceeded: no node decided the check before the request's deadline";

struct CheckResult {
  uint64_t client_token = 0;
  limits::Decision decision;
  std::string decided_by;  // id of the node whose store decided ("" if not decided)
  bool degraded = false;   // decided by the degrade mode, not by the key's owner or replica
  uint32_t hops = 0;       // peer hops the check travelled before it was decided
  std::string error;       // non-empty: not decided, and why (e.g. an invalid limit)
  // The limit the decision was taken under, when the decider's policy set resolved the
  // check's policy to another limit than this node did.
  std::optional<limits::Limit> limit;
};

// What a named policy means in a node's current set: the limit and flags a check of it is
// decided with. Null when the set has no such policy. The pointer is valid until the next
// call. The node that decides a forwarded check asks it (ClusterNode::set_policy_lookup).
using PolicyLookup = std::function<const limits::Policy*(std::string_view name)>;

}  // namespace drl::cluster
