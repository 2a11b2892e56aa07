#include "net/peer_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace drl::net {
namespace {

// Linux's option number (include/uapi/linux/tcp.h); older C library headers lack the name.
#ifdef TCP_RTO_MIN_US
constexpr int kTcpRtoMinUs = TCP_RTO_MIN_US;
#else
constexpr int kTcpRtoMinUs = 45;
#endif
#ifdef TCP_DELACK_MAX_US
constexpr int kTcpDelackMaxUs = TCP_DELACK_MAX_US;
#else
constexpr int kTcpDelackMaxUs = 46;
#endif
using RtoMinUs = asio::detail::socket_option::integer<IPPROTO_TCP, kTcpRtoMinUs>;
using DelackMaxUs = asio::detail::socket_option::integer<IPPROTO_TCP, kTcpDelackMaxUs>;

}  // namespace

bool tune_peer_socket(asio::ip::tcp::socket& socket, std::chrono::microseconds rto_min) {
  std::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (rto_min.count() <= 0) return true;
  std::error_code ec;
  socket.set_option(RtoMinUs(static_cast<int>(rto_min.count())), ec);
  if (ec) return false;
  // A connection's data mostly flows one way (each node sends on its own link), so its ACKs
  // are pure ACKs, delayed up to 40 ms; the delay enters the RTT samples and so the
  // retransmission timeout. Acknowledge within the same minimum instead.
  socket.set_option(DelackMaxUs(static_cast<int>(rto_min.count())), ignored);
  return true;
}

bool kernel_takes_rto_min() {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  std::error_code ec;
  socket.open(asio::ip::tcp::v4(), ec);
  if (ec) return false;
  return tune_peer_socket(socket, std::chrono::milliseconds(10));
}

}  // namespace drl::net
