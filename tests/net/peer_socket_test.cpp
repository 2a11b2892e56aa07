// Peer connections ask for a short minimum retransmission timeout (net/peer_socket.h): read the
// options back from the kernel. On a kernel without TCP_RTO_MIN_US (before Linux 6.15) the
// tests say so and skip.
#include "net/peer_socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <asio/io_context.hpp>

namespace drl::net {
namespace {

constexpr int kTcpRtoMinUs = 45, kTcpDelackMaxUs = 46;  // include/uapi/linux/tcp.h

int read_option(asio::ip::tcp::socket& socket, int name) {
  int value = -1;
  socklen_t len = sizeof value;
  if (getsockopt(socket.native_handle(), IPPROTO_TCP, name, &value, &len) != 0) return -1;
  return value;
}

TEST(PeerSocket, AsksForTheMinimumRetransmissionTimeoutItIsGiven) {
  if (!kernel_takes_rto_min()) GTEST_SKIP() << "this kernel has no TCP_RTO_MIN_US";
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.open(asio::ip::tcp::v4());
  const int before = read_option(socket, kTcpRtoMinUs);
  ASSERT_TRUE(tune_peer_socket(socket, std::chrono::milliseconds(10)));
  const int rto_min = read_option(socket, kTcpRtoMinUs);
  // The kernel keeps it in jiffies: 10 ms reads back as 10-12 ms at HZ 100..1000.
  EXPECT_GE(rto_min, 10000);
  EXPECT_LE(rto_min, 20000);
  EXPECT_GT(before, rto_min) << "the kernel's default should be longer (200 ms)";
  const int delack = read_option(socket, kTcpDelackMaxUs);
  EXPECT_GE(delack, 10000);
  EXPECT_LE(delack, 20000);
  int nodelay = 0;
  socklen_t len = sizeof nodelay;
  ASSERT_EQ(getsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_NE(nodelay, 0);
}

TEST(PeerSocket, ZeroLeavesTheKernelsTimeout) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.open(asio::ip::tcp::v4());
  const int before = read_option(socket, kTcpRtoMinUs);
  EXPECT_TRUE(tune_peer_socket(socket, std::chrono::microseconds(0)));
  EXPECT_EQ(read_option(socket, kTcpRtoMinUs), before);
}

}  // namespace
}  // namespace drl::net
