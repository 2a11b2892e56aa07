// The seam between a client session and whatever decides checks. Today the node plugs in
// a local decider over its own store; the cluster plugs in a router that decides here or
// forwards to the key's owner. Sessions neither know nor care which.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "limits/limit.h"

namespace drl::service {

// Same numbers as drl.wire.Code (proto/drl/client.proto).
enum class CheckCode : uint8_t {
  kOk = 0,
  kUnknownPolicy = 1,
  kInvalidLimit = 2,
  kInvalidKey = 3,
  kInvalidCost = 4,
  kMissingLimit = 5,
  kOverloaded = 6,
  kUnavailable = 7,
  kInternal = 8,
};
std::string_view check_code_name(CheckCode code);

inline constexpr size_t kMaxKeyBytes = 4096;
inline constexpr size_t kMaxChecksPerRequest = 4096;

// One check as decoded from the wire. Views borrow the request frame: valid only during
// CheckDecider::decide. A call whose `code` is not kOk was already refused by the decoder
// (bad key, bad cost, no limit); a decider answers it with that code and `error`.
struct CheckCall {
  std::string_view key;
  std::string_view policy;  // policy name; empty when the limit is inline
  bool has_inline = false;
  limits::Limit limit;      // the inline limit, when has_inline
  limits::Request request;  // cost and flags
  CheckCode code = CheckCode::kOk;
  std::string_view error;  // static text for a decoder refusal
  // Steady-clock nanoseconds (drl::Clock::monotonic) after which nobody waits for the
  // answer; 0 = none. A decider that forwards the check passes the remaining budget on, and
  // drops work whose deadline passed (service/admission.h: remaining_budget, deadline_passed).
  int64_t deadline = 0;
};

struct CheckOutcome {
  CheckCode code = CheckCode::kOk;
  limits::Decision decision;
  bool degraded = false;        // decided without the owner (cluster degrade mode)
  std::string message;          // human sentence on denial or error; empty when allowed
  std::string_view decided_by;  // node id; empty = the deciding node of the response
};

// Called exactly once per decide(), on any thread. `outcomes` matches `calls` one to one,
// in order, and is borrowed: valid only during the call.
using CheckCompletion = std::function<void(std::span<const CheckOutcome> outcomes)>;

class CheckDecider {
 public:
  virtual ~CheckDecider() = default;
  // Decides every call. Implementations copy whatever they keep beyond this call.
  // Thread-safe: sessions on every I/O thread call it concurrently.
  virtual void decide(std::span<const CheckCall> calls, CheckCompletion done) = 0;
};

}  // namespace drl::service
