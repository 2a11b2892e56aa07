// A minimal HTTP/1.0 server for Prometheus scrapes: any GET gets the text that `render`
// returns, then the connection closes. Runs on the io_context it is given (the node's
// control thread). Requests are bounded (8 KiB of headers, 5 s to send them).
#pragma once
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <system_error>

namespace drl::net {

class MetricsServer {
 public:
  MetricsServer(asio::io_context& io, std::function<std::string()> render);
  std::error_code listen(const std::string& host, uint16_t port);
  asio::ip::tcp::endpoint local_endpoint() const;
  void start();

 private:
  void accept_next();
  asio::io_context& io_;
  std::function<std::string()> render_;
  asio::ip::tcp::acceptor acceptor_;
};

}  // namespace drl::net
