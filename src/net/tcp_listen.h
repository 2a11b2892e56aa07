// Opens a TCP acceptor on HOST:PORT (port 0 = any free one) with SO_REUSEADDR, so a
// restarted node can bind again while the old connections linger in TIME_WAIT. One place
// for the node's listening sockets: the native/peer port, the RESP port, the metrics page.
#pragma once
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <system_error>

namespace drl::net {

// `acceptor` must be closed. On error it may be left open; the caller reports the error.
std::error_code open_and_listen(asio::ip::tcp::acceptor& acceptor, const std::string& host,
                                uint16_t port,
                                int backlog = asio::socket_base::max_listen_connections);

}  // namespace drl::net
