// The overload-control contract between a session and the node: whether a check request
// is worked on or shed. No I/O; the node's AdmissionGate implements it.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "service/check_decider.h"

namespace drl::service {

// Decides, per check request, whether it is worked on or shed (overload control). The node
// implements it; sessions on every I/O thread call it concurrently, so it is thread-safe.
// Times are steady-clock nanoseconds (drl::Clock::monotonic).
class RequestGate {
 public:
  virtual ~RequestGate() = default;
  // True: decide `calls`, then call finished() once their outcomes are in. False: `shed`
  // holds one outcome per call (OVERLOADED with retry-after, or the policy's degrade mode).
  // `superseded`: newer requests of the same connection were read while this one waited
  // (a gate may serve those first under overload).
  virtual bool admit(int64_t now, int64_t arrived, int64_t deadline,
                     std::span<const CheckCall> calls, std::vector<CheckOutcome>& shed,
                     bool superseded = false) = 0;
  virtual void finished() = 0;
};

}  // namespace drl::service
