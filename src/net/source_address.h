// The source address of a node's outgoing peer traffic. A node that listens on one specific
// address (say 127.0.0.12 of the loopback range) also sends from it: its peer links and
// gossip bind their local end to that address (port 0 for TCP) before connecting, so the
// kernel sees each node's traffic under its own address and a firewall rule
// `-s A -d B -j DROP` cuts exactly the link from A to B (scripts/chaos.sh does this as root).
// A wildcard (0.0.0.0, ::) or empty host leaves the choice to the kernel, as before.
// Stateless functions; thread-safe.
#pragma once
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <optional>
#include <string_view>
#include <system_error>

namespace drl::net {

// The address to send from for a node listening on `host`: none when `host` is empty, a
// wildcard, or not a numeric address.
std::optional<asio::ip::address> specific_source(std::string_view host);

// Opens `socket` for `peer`'s protocol and, when `source` is set and of the same family,
// binds it to `source`:0. The caller then connects to `peer` (not through a range connect,
// which would reopen the socket and lose the binding). Returns the first error.
std::error_code open_bound(asio::ip::tcp::socket& socket, const asio::ip::tcp::endpoint& peer,
                           const std::optional<asio::ip::address>& source);

}  // namespace drl::net
