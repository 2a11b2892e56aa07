// The one way a decider turns the store's decision into a check's outcome and counts it
// (local, inline and forwarded decisions alike): allowed, or denied with its sentence, or
// MEMORY_FULL when the store could not track the key (the decision is then the policy's
// degrade mode, kMemoryFullMessage); a reset by eviction is counted by policy too.
#pragma once
#include <cstdint>
#include <string_view>

#include "limits/limit.h"
#include "service/check_decider.h"
#include "service/decision_metrics.h"

namespace drl::service {

// `out.decision` is set; fills out.code and out.message. `user_key` is the key the client
// sent (for the denial sentence).
void settle_decision(CheckOutcome& out, std::string_view user_key, const limits::Limit& limit,
                     DecisionMetrics& metrics, uint16_t slot);

}  // namespace drl::service
