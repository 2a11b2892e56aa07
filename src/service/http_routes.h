// What the metrics port answers, by path: /metrics the Prometheus page, /healthz 200 while
// the process serves (liveness), /readyz 200 only while the node is ready to take traffic
// (joined, owns its ranges, not draining; 503 with the reason otherwise), 404 elsewhere.
// Pure: the server hands it the request's head; thread-safe if the callbacks are.
#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace drl::service {

struct HttpAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpRoutes {
  std::function<std::string()> metrics;
  // "" when ready, else why not (e.g. "hand-off pending").
  std::function<std::string()> not_ready;
};

// `head` is the request line and headers ("GET /metrics HTTP/1.1\r\n...").
HttpAnswer answer_http(std::string_view head, const HttpRoutes& routes);
// "200 OK", "404 Not Found", ...
std::string_view status_text(int status);

}  // namespace drl::service
