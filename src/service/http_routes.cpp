#include "service/http_routes.h"

#include "service/http_check.h"

namespace drl::service {
namespace {

HttpAnswer json_error(int status, std::string code, std::string message) {
  return {status, kJsonType, http_error_json({status, std::move(code), std::move(message)})};
}

}  // namespace

HttpAnswer answer_http(std::string_view method, std::string_view path, const HttpRoutes& routes) {
  path = path.substr(0, path.find('?'));
  const bool get = method == "GET" || method == "HEAD";
  const std::string routes_text = routes.check
                                      ? "POST /v1/check, GET /metrics, /healthz and /readyz"
                                      : "GET /metrics, /healthz and /readyz";
  if (path == "/metrics" || path == "/healthz" || path == "/readyz") {
    if (!get) {
      return json_error(405, "METHOD_NOT_ALLOWED", std::string(path) + " answers GET only");
    }
    if (path == "/metrics") {
      return {200, "text/plain; version=0.0.4", routes.metrics ? routes.metrics() : ""};
    }
    if (path == "/healthz") return {200, "text/plain", "ok\n"};
    const std::string why = routes.not_ready ? routes.not_ready() : "";
    if (why.empty()) return {200, "text/plain", "ready\n"};
    return {503, "text/plain", "not ready: " + why + "\n"};
  }
  if (routes.check && path == kCheckPath) {
    return json_error(405, "METHOD_NOT_ALLOWED", "/v1/check answers POST only");
  }
  return json_error(404, "NOT_FOUND",
                    "no such path: " + std::string(path) + "; this port serves " + routes_text);
}

}  // namespace drl::service
