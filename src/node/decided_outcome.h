// The one way a decider turns the store's decision into a check's outcome and counts it
// (local, inline and forwarded decisions alike): allowed, or denied with its sentence, or
// MEMORY_FULL when the store could not track the key (the decision is then the policy's
// degrade mode, net::kMemoryFullMessage); a reset by eviction is counted by policy too.
#pragma once
#include <cstdint>
#include <string_view>

#include "limits/limit.h"
#include "net/check_decider.h"
#include "node/decision_metrics.h"

namespace drl::node {

// `out.decision` is set; fills out.code and out.message. `user_key` is the key the client
// sent (for the denial sentence).
void settle_decision(net::CheckOutcome& out, std::string_view user_key, const limits::Limit& limit,
                     DecisionMetrics& metrics, uint16_t slot);

}  // namespace drl::node
