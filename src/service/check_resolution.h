// The one policy resolution: what a check is decided with (its limit, request flags and
// degrade mode), from its inline limit or from the named policy of the node's catalog. The
// LocalDecider and the cluster's shell both call it, so a check means the same on one node
// and on a cluster. Validates the check first (check_validator.h). Pure; thread-safe.
#pragma once
#include <cstdint>

#include "drl/status.h"
#include "limits/policy.h"
#include "service/check_decider.h"
#include "service/decision_metrics.h"
#include "service/policy_book.h"

namespace drl::service {

struct ResolvedCheck {
  // The call's inline limit or the catalog's policy: borrowed from the call or the catalog.
  const limits::Limit* limit = nullptr;
  limits::Request request;  // the call's, marked shadow when the policy says so
  limits::DegradeMode degrade = limits::DegradeMode::kLocal;
  // The policy's --on-memory-full override (kNodeDefault: the node's).
  limits::MemoryFullMode memory_full = limits::MemoryFullMode::kNodeDefault;
  uint16_t slot = DecisionMetrics::kInlineSlot;  // the metrics row to count the check in
};

// OK and `out` filled, or why the check is refused (out.slot is still the row to count it in).
Status resolve_check(const CheckCall& call, const PolicyCatalog& catalog, ResolvedCheck& out);

}  // namespace drl::service
