// What a check asks and what it answers: the value types of the drl client library
// (drl/client.h sends them). Plain values; thread-compatible.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "drl/status.h"

namespace drl {

enum class Algorithm : uint8_t {
  kTokenBucket = 0,
  kLeakyBucket = 1,
  kFixedWindow = 2,
  kSlidingLog = 3,
  kSlidingWindow = 4,
};

struct InlineLimit {
  Algorithm algorithm = Algorithm::kTokenBucket;
  uint64_t limit = 0;                   // admissions per window
  std::chrono::milliseconds window{0};  // > 0
  uint64_t burst = 0;                   // token bucket capacity (0 = limit)
};

struct CheckSpec {
  std::string key;
  uint64_t cost = 1;                 // 0 peeks without spending
  std::string policy;                // a policy of the node's policy file, or
  std::optional<InlineLimit> limit;  // an inline limit (wins over `policy`)
  bool reset = false;
  bool refund = false;
  bool drain_on_deny = false;
  bool shadow = false;
};

struct CheckResult {
  ResultCode code = ResultCode::kOk;
  bool allowed = false;
  uint64_t limit = 0;
  uint64_t remaining = 0;
  int64_t reset_at_ms = 0;     // wall clock, ms since the Unix epoch
  int64_t retry_after_ms = 0;  // 0 when allowed; -1: the cost can never pass
  int64_t delay_ms = 0;        // leaky bucket: hold the request this long
  std::string message;         // human sentence on denial or error
  bool degraded = false;
  bool shadow_denied = false;
  // The key's state was evicted for memory earlier: this decision came from a fresh budget.
  bool reset_by_eviction = false;
  std::string decided_by;  // id of the node that decided
};

}  // namespace drl
