#include "net/tcp_listen.h"

namespace drl::net {

std::error_code open_and_listen(asio::ip::tcp::acceptor& acceptor, const std::string& host,
                                uint16_t port, int backlog) {
  std::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return ec;
  const asio::ip::tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return ec;
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) return ec;
  acceptor.listen(backlog, ec);
  return ec;
}

}  // namespace drl::net
