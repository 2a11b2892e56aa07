#include "service/check_resolution.h"

#include <string>

#include "common/printable.h"
#include "service/check_validator.h"

namespace drl::service {

Status resolve_check(const CheckCall& call, const PolicyCatalog& catalog, ResolvedCheck& out) {
  out.slot = DecisionMetrics::kInlineSlot;
  if (Status valid = validate_check(call); !valid) return valid;
  out.limit = &call.limit;
  out.request = call.request;
  out.degrade = limits::DegradeMode::kLocal;
  out.memory_full = limits::MemoryFullMode::kNodeDefault;
  if (call.has_inline) return Status::ok();
  const limits::Policy* policy = catalog.find(call.policy, out.slot);
  if (policy == nullptr) {
    std::string message = "unknown policy '" + printable(call.policy) + "'";
    if (catalog.size() == 0) {
      message += "; this node has no policy file (start it with --policies FILE)";
    } else {
      message += "; known policies:";
      for (const auto& n : catalog.names()) message += " " + n;
    }
    return {ResultCode::kUnknownPolicy, std::move(message)};
  }
  out.limit = &policy->limit;
  out.degrade = policy->degrade;
  out.memory_full = policy->on_memory_full;
  if (policy->shadow) out.request.shadow = true;
  return Status::ok();
}

}  // namespace drl::service
