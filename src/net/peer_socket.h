// Socket options of the peer links (both ends of a connection between two nodes), set in one
// place. A peer link carries forwarded checks and their answers; one lost segment holds up
// every frame behind it until TCP retransmits it, and Linux waits at least its minimum
// retransmission timeout (200 ms by default) before it does. A minimum of a few milliseconds
// (TCP_RTO_MIN_US, Linux 6.15 and later) turns a lost segment on a LAN from a 200 ms stall
// into a ~10 ms one; on an older kernel the option is refused and the link works as before
// (`ip route ... rto_min` sets the same per route, docs/operations.md). Thread-safe.
#pragma once
#include <asio/ip/tcp.hpp>
#include <chrono>

namespace drl::net {

// TCP_NODELAY and, when `rto_min` is positive, TCP_RTO_MIN_US = rto_min. Returns false when
// the kernel refused the minimum retransmission timeout (the rest is set either way).
bool tune_peer_socket(asio::ip::tcp::socket& socket, std::chrono::microseconds rto_min);

// Whether this kernel takes TCP_RTO_MIN_US (tries it on a fresh socket), so a node can say
// at start that --peer-rto-min-ms will not apply.
bool kernel_takes_rto_min();

}  // namespace drl::net
