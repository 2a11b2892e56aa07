// Human-readable explanations of decisions, for logs, CLI output and HTTP bodies.
// Pure functions; thread-safe.
#pragma once
#include <string>
#include <string_view>

#include "limits/limit.h"

namespace drl::limits {

// The rule in words: "100 per 1m", "100 per 1m (burst 200)", "10000 per month (UTC)".
std::string describe_limit(const Limit& limit);

// Why a request was denied, with how long to wait:
//   "user:42 exceeded 100 per 1m; retry in 1.4 s"
//   "user:42 asked for more than 100 per 1m allows at once; it can never pass"
//   "user:42 would have exceeded 100 per 1m (shadow mode); retry in 1.4 s"
// For an allowed decision: "user:42 is within 100 per 1m (99 left)". The key is cut to
// 200 bytes so a hostile key cannot blow up a log line.
std::string describe_denial(std::string_view key, const Limit& limit, const Decision& decision);

}  // namespace drl::limits
