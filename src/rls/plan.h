// Envoy's rate limit service as pure code: what a ShouldRateLimit request asks of the check
// path (plan_request), and the response its decisions make (answer). The gRPC door is a thin
// shell around these two calls (src/grpc/); tests call them directly.
//
// The contract, as envoyproxy/ratelimit answers it (src/service/ratelimit.go,
// src/limiter/base_limiter.go) and as Envoy reads it (docs/envoy.md):
// - an empty domain, no descriptors, a descriptor without entries or with an empty key, a
//   limit override without a unit, a hits_addend over 2^32-1: INVALID_ARGUMENT (plan.error);
// - a descriptor's rule: its own `limit` override when its domain is configured, else the
//   configuration's rule (rls/match.h); a rule named in another matched rule's `replaces` is
//   dropped; an unlimited rule is answered OK with remaining 2^32-1 and never counted;
// - cost: the descriptor's hits_addend when present (an explicit 0 checks without charging),
//   else the request's, where 0 means 1;
// - one status per descriptor, in order; OVER_LIMIT overall when any status is OVER_LIMIT;
//   a descriptor without a rule is OK with no current_limit; shadow_mode turns a denial into
//   OK (with remaining 0) while the hit is still counted.
// Pure functions of their arguments; thread-safe.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/time.h"
#include "envoy/service/ratelimit/v3/rls.pb.h"
#include "limits/limit.h"
#include "rls/config.h"

namespace drl::rls {

using RateLimitRequest = envoy::service::ratelimit::v3::RateLimitRequest;
using RateLimitResponse = envoy::service::ratelimit::v3::RateLimitResponse;

enum class PlanKind : uint8_t {
  kNoRule,     // OK, no current_limit
  kUnlimited,  // OK, remaining 2^32-1, no current_limit
  kCheck,      // goes through the check path: `key` under `limit`, charged `cost`
  kBlocked,    // requests_per_unit 0: OVER_LIMIT for any charged hit, never counted
};

struct PlannedDescriptor {
  PlanKind kind = PlanKind::kNoRule;
  // kCheck: the key the descriptor is counted under, (domain, matched rule, the entries'
  // values): no other descriptor of another rule or domain shares it.
  std::string key;
  limits::Limit limit;  // kCheck: requests_per_unit per unit, the rule's algorithm
  uint64_t cost = 1;
  bool shadow = false;
  // For current_limit (kCheck, kBlocked).
  std::string name;
  uint32_t requests_per_unit = 0;
  Unit unit = Unit::kUnknown;
};

struct RlsPlan {
  std::string error;  // non-empty: answer INVALID_ARGUMENT with this message
  std::vector<PlannedDescriptor> descriptors;  // one per request descriptor, in order
  size_t checks = 0;                           // how many are kCheck
  // A kBlocked descriptor is charged and not in shadow mode: the request is over its limit
  // whatever the checks say (all or nothing then charges none of them).
  bool blocked = false;
};

// `config` may be null (no configuration loaded: every domain is unknown).
RlsPlan plan_request(const RlsConfig* config, const RateLimitRequest& request);

struct RlsAnswerOptions {
  // Add RateLimit-Limit/-Remaining/-Reset to response_headers_to_add, from the status closest
  // to its limit (envoyproxy/ratelimit's LIMIT_RESPONSE_HEADERS_ENABLED).
  bool response_headers = false;
};

// One decision per kCheck descriptor, in the plan's order (kCheck descriptors only). `now` is
// the wall clock the decisions were made at (durations until reset are counted from it).
void answer(const RlsPlan& plan, std::span<const limits::Decision> decisions, TimePoint now,
            const RlsAnswerOptions& options, RateLimitResponse& out);

}  // namespace drl::rls
