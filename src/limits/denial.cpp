#include "limits/denial.h"

#include "limits/duration.h"

namespace drl::limits {

std::string describe_limit(const Limit& limit) {
  std::string out = std::to_string(limit.limit) + " per ";
  if (limit.calendar != Calendar::kNone) {
    out += std::string(calendar_name(limit.calendar)) + " (UTC)";
  } else {
    out += format_duration(limit.window);
  }
  if (limit.algorithm == Algorithm::kTokenBucket && limit.burst != 0) {
    out += " (burst " + std::to_string(limit.burst) + ")";
  } else if (limit.algorithm == Algorithm::kLeakyBucket) {
    out += " (queue " + std::to_string(limit.burst) + ")";
  }
  return out;
}

std::string describe_denial(std::string_view key, const Limit& limit, const Decision& decision) {
  constexpr size_t kMaxKeyBytes = 200;
  std::string out(key.substr(0, kMaxKeyBytes));
  if (key.size() > kMaxKeyBytes) out += "...";
  const std::string rule = describe_limit(limit);
  if (decision.allowed && !decision.shadow_denied) {
    return out + " is within " + rule + " (" + std::to_string(decision.remaining) + " left)";
  }
  if (decision.retry_after == kNever) {
    out += decision.shadow_denied ? " would have asked" : " asked";
    out += " for more than " + rule + " allows at once; it can never pass";
    return decision.shadow_denied ? out + " (shadow mode)" : out;
  }
  out += decision.shadow_denied ? " would have exceeded " + rule + " (shadow mode)"
                                : " exceeded " + rule;
  return out + "; retry in " + format_wait(decision.retry_after);
}

}  // namespace drl::limits
