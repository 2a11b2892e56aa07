// The HTTP door: POST /v1/check (JSON in, JSON out), POST /json (Envoy's RateLimitRequest in
// JSON, as envoyproxy/ratelimit serves it), GET /metrics, /healthz and /readyz, on
// cpp-httplib (Debian's libcpp-httplib). A thin shell: the body is planned by
// service::plan_http_check, its checks go through the same overload gate and CheckDecider as
// the native, RESP and gRPC doors' checks (all or nothing through
// service::decide_all_or_nothing when the request asks), and every other path is answered by
// service::answer_http. docs/protocol.md, "The HTTP/JSON API", is the contract.
//
// Bounds: a body above max_body_bytes is refused (413) before it is read; a request must
// arrive within read_timeout; a connection is kept alive between requests up to
// keep_alive_timeout. Each connection holds one of `threads` workers while it is open (the
// library's model): more connections than workers wait their turn in the accept queue.
//
// Threads: cpp-httplib's own (one accepting, `threads` workers). The routes' callbacks run on
// the workers. Ownership: borrows everything in HttpServices (all must outlive the server);
// stop() (or the destructor) stops accepting, lets the requests in flight finish and joins.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/clock.h"
#include "rls/exchange.h"
#include "service/check_decider.h"
#include "service/client_auth.h"
#include "service/http_routes.h"
#include "service/request_gate.h"

namespace httplib {
class Server;
}

namespace drl::tls {
class NodeContexts;
}

namespace drl::doors {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (port() says which)
  size_t max_body_bytes = 1u << 20;
  size_t threads = 8;
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds keep_alive_timeout{5};
  std::chrono::milliseconds default_timeout{1000};  // a check request without timeout_ms
  std::chrono::milliseconds max_timeout{60'000};
  // Non-null: HTTPS with the node's certificate in force at each handshake (a SIGHUP reload
  // serves new connections); must outlive the server. Null: plain HTTP.
  const tls::NodeContexts* tls = nullptr;
};

struct HttpServices {
  service::HttpRoutes routes;  // routes.check: serve POST /v1/check (needs decider and clock)
  service::CheckDecider* decider = nullptr;
  service::RequestGate* gate = nullptr;       // null: nothing is shed
  const service::ClientAuth* auth = nullptr;  // null: no token required
  const Clock* clock = nullptr;
  std::string node_id;  // decided_by of answers that name no other node
  // Serves POST /json (envoyproxy/ratelimit's endpoint, rls/json_exchange.h) through this
  // exchange; null: /json is not served (no --grpc rate limit service on the node).
  const rls::RlsExchange* rls = nullptr;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpServices services);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving; "" on success, else why not.
  std::string start();
  uint16_t port() const { return port_; }
  void stop();

 private:
  class Handler;

  HttpServerOptions options_;
  HttpServices services_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Handler> handler_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listened_{false};  // the listening thread has returned
  uint16_t port_ = 0;
};

}  // namespace drl::doors
