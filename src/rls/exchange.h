// One ShouldRateLimit exchange, whichever door it came through (the gRPC door, or the HTTP
// door's POST /json as envoyproxy/ratelimit serves it): plans the request against the current
// configuration (rls::plan_request), decides its checks through the overload gate and the
// CheckDecider like any other door's checks (all or nothing unless charge-each), and writes
// the RateLimitResponse (rls::answer). No I/O: the doors map the result to their transport.
//
// Threads: decide() may be called from any thread; `done` runs on the thread that completes
// the checks (maybe inline). Ownership: borrows everything in RlsExchangeServices (all must
// outlive the exchange) and `response` until `done` has run.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "rls/config.h"
#include "rls/plan.h"
#include "service/check_decider.h"
#include "service/request_gate.h"

namespace drl::rls {

struct RlsExchangeOptions {
  RlsAnswerOptions answer;
  // The descriptors of a request are charged all or nothing (service/all_or_nothing.h); false:
  // each one under its limit is charged, as envoyproxy/ratelimit does.
  bool all_or_nothing = true;
};

struct RlsExchangeServices {
  service::CheckDecider* decider = nullptr;
  service::RequestGate* gate = nullptr;  // null: nothing is shed
  const Clock* clock = nullptr;
  // The current configuration; may return null (no --rls-config: every domain unknown).
  std::function<std::shared_ptr<const RlsConfig>()> config;
};

// Why an exchange has no answer: the request is invalid (plan error: gRPC INVALID_ARGUMENT,
// HTTP 400), or a check of it was not decided (`code`: overloaded, unavailable, ...).
struct RlsExchangeError {
  bool invalid_request = false;
  service::CheckCode code = service::CheckCode::kOk;
  std::string message;
};

// Called once: with nullopt when `response` holds the answer.
using RlsExchangeDone = std::function<void(const std::optional<RlsExchangeError>& error)>;

class RlsExchange {
 public:
  RlsExchange(RlsExchangeOptions options, RlsExchangeServices services);
  // `deadline`: monotonic nanoseconds by which the checks must be decided.
  void decide(const RateLimitRequest& request, int64_t deadline, RateLimitResponse* response,
              RlsExchangeDone done) const;

 private:
  RlsExchangeOptions options_;
  RlsExchangeServices services_;
};

}  // namespace drl::rls
