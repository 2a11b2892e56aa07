#include "service/http_routes.h"

namespace drl::service {

std::string_view status_text(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 503:
      return "503 Service Unavailable";
    default:
      return "400 Bad Request";
  }
}

HttpAnswer answer_http(std::string_view head, const HttpRoutes& routes) {
  const size_t method_end = head.find(' ');
  const size_t path_end =
      method_end == std::string_view::npos ? method_end : head.find(' ', method_end + 1);
  if (path_end == std::string_view::npos) return {400, "text/plain", "bad request\n"};
  const std::string_view method = head.substr(0, method_end);
  std::string_view path = head.substr(method_end + 1, path_end - method_end - 1);
  path = path.substr(0, path.find('?'));
  if (method != "GET" && method != "HEAD") return {405, "text/plain", "GET only\n"};
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4", routes.metrics ? routes.metrics() : ""};
  }
  if (path == "/healthz") return {200, "text/plain", "ok\n"};
  if (path == "/readyz") {
    const std::string why = routes.not_ready ? routes.not_ready() : "";
    if (why.empty()) return {200, "text/plain", "ready\n"};
    return {503, "text/plain", "not ready: " + why + "\n"};
  }
  return {404, "text/plain", "not found; try /metrics, /healthz or /readyz\n"};
}

}  // namespace drl::service
