// The gRPC door: envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit and the standard
// grpc.health.v1.Health, served with gRPC C++'s callback API. A thin shell: each call is
// planned by rls::plan_request, its descriptors go through the same CheckDecider (and the same
// overload gate) as the native and RESP doors' checks, routed to each key's owner, and the
// decisions are answered by rls::answer (src/rls/plan.h; docs/envoy.md).
//
// Each call is one rls::RlsExchange (rls/exchange.h), shared with the HTTP door's POST /json.
// gRPC status codes: INVALID_ARGUMENT for a request the planner refuses (with its sentence);
// UNAVAILABLE when a check is shed (overload) or no node could decide it (an unreachable
// owner), so that Envoy's failure_mode_deny applies. A call is given the smaller of its own
// gRPC deadline and max_timeout (default_timeout when it has none) and the check path drops
// work past it.
//
// Several descriptors: all or nothing by default (none stays charged when one is over its
// limit; service/all_or_nothing.h), or each charged on its own, as the exchange is set.
//
// Health: "" and "envoy.service.ratelimit.v3.RateLimitService" answer NOT_SERVING until
// set_serving(true) (the node calls it once it has joined) and again after set_serving(false)
// (draining).
//
// Threads: gRPC's own. Ownership: borrows everything in RlsGrpcServices (all must outlive the
// server); stop() (or the destructor) shuts the server down and waits for its calls.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "rls/exchange.h"
#include "tls/tls_context.h"

namespace grpc {
class Server;
}

namespace drl::doors {

inline constexpr char kRlsServiceName[] = "envoy.service.ratelimit.v3.RateLimitService";

struct RlsGrpcOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                                // 0: any free port (port() says which)
  std::chrono::milliseconds default_timeout{1000};  // for calls without a deadline
  std::chrono::milliseconds max_timeout{60'000};
  int max_message_bytes = 1 << 20;
  // cert set: TLS by gRPC's own stack, which reads these files and reads them again when they
  // change (every kTlsRefreshSeconds); the client certificate asked for and verified against
  // `ca` when sent, required with require_client_cert. Empty: plaintext.
  tls::TlsFiles tls;
};

// How often the gRPC door looks at its TLS files for a new certificate.
inline constexpr unsigned kTlsRefreshSeconds = 10;

struct RlsGrpcServices {
  const rls::RlsExchange* exchange = nullptr;  // plans, decides and answers each call
  const Clock* clock = nullptr;
};

class RlsGrpcServer {
 public:
  RlsGrpcServer(RlsGrpcOptions options, RlsGrpcServices services);
  ~RlsGrpcServer();

  // Binds and starts serving; "" on success, else why not.
  std::string start();
  uint16_t port() const { return port_; }
  void set_serving(bool serving);
  void stop();

 private:
  class Handler;

  RlsGrpcOptions options_;
  RlsGrpcServices services_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<grpc::Server> server_;
  uint16_t port_ = 0;
};

}  // namespace drl::doors
