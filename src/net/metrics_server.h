// A minimal HTTP/1.0 server for Prometheus scrapes and health checks: each request's head
// goes to `answer` (service/http_routes.h says what each path answers), then the
// connection closes. Runs on the io_context it is given (the node's control thread). Requests are
// bounded (8 KiB of headers, 5 s to send them).
#pragma once
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "service/http_routes.h"

namespace drl::net {

using service::HttpAnswer;

class MetricsServer {
 public:
  MetricsServer(asio::io_context& io, std::function<HttpAnswer(std::string_view head)> answer);
  std::error_code listen(const std::string& host, uint16_t port);
  asio::ip::tcp::endpoint local_endpoint() const;
  void start();

 private:
  void accept_next();
  asio::io_context& io_;
  std::function<HttpAnswer(std::string_view head)> answer_;
  asio::ip::tcp::acceptor acceptor_;
};

}  // namespace drl::net
