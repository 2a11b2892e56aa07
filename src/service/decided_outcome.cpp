#include "service/decided_outcome.h"

#include "limits/denial.h"

namespace drl::service {

void settle_decision(CheckOutcome& out, std::string_view user_key, const limits::Limit& limit,
                     DecisionMetrics& metrics, uint16_t slot) {
  const limits::Decision& d = out.decision;
  if (d.reset_by_eviction) metrics.count_memory(slot, MemoryEvent::kResetByEviction);
  if (d.untracked) {
    out.code = CheckCode::kMemoryFull;
    out.message = kMemoryFullMessage;
    metrics.count_memory(slot, MemoryEvent::kUntracked);
  }
  if (d.allowed) {
    metrics.count(slot, CheckResultKind::kAllowed);
    return;
  }
  if (!d.untracked) out.message = limits::describe_denial(user_key, limit, d);
  metrics.count(slot, CheckResultKind::kDenied);
}

}  // namespace drl::service
