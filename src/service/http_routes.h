// What the HTTP door answers, by method and path, for every path but POST /v1/check (which
// service/http_check.h plans): /metrics the Prometheus page, /healthz 200 while the process
// serves (liveness), /readyz 200 only while the node is ready to take traffic (joined, owns
// its ranges, not draining; 503 with the reason otherwise); a path it does not serve 404, a
// method a path does not take 405, both with a JSON error body (http_check.h). Pure: the
// server hands it the request's method and path; thread-safe if the callbacks are.
#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace drl::service {

inline constexpr char kCheckPath[] = "/v1/check";
inline constexpr char kJsonType[] = "application/json";

struct HttpAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpRoutes {
  std::function<std::string()> metrics;
  // "" when ready, else why not (e.g. "hand-off pending").
  std::function<std::string()> not_ready;
  bool check = false;  // POST /v1/check is served (--http; the --metrics port does not)
};

// `path` without its query string or with it (it is ignored).
HttpAnswer answer_http(std::string_view method, std::string_view path, const HttpRoutes& routes);

}  // namespace drl::service
