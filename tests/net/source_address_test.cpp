// A node listening on a specific address sends its peer traffic from that address: peer
// links and gossip sync connections bind their local end to it, and gossip's UDP socket binds
// to it rather than to every address. What lets a firewall rule `-s A -d B` cut one link
// (scripts/chaos.sh). Loopback only: all of 127.0.0.0/8 is local on Linux.
#include "net/source_address.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>

#include "net/gossip_transport.h"
#include "net/peer_link.h"

namespace drl::net {
namespace {

using asio::ip::make_address;
using asio::ip::tcp;
using asio::ip::udp;

TEST(SourceAddress, OnlyASpecificNumericHostIsASource) {
  EXPECT_FALSE(specific_source(""));
  EXPECT_FALSE(specific_source("0.0.0.0"));
  EXPECT_FALSE(specific_source("::"));
  EXPECT_FALSE(specific_source("localhost"));
  ASSERT_TRUE(specific_source("127.0.0.12"));
  EXPECT_EQ(specific_source("127.0.0.12")->to_string(), "127.0.0.12");
  ASSERT_TRUE(specific_source("::1"));
}

// Accepts one connection on `listen_host`:0 and returns the address it came from.
class OneAccept {
 public:
  OneAccept(asio::io_context& io, const char* listen_host)
      : acceptor_(io, tcp::endpoint(make_address(listen_host), 0)) {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket s) {
      std::error_code ignored;
      if (!ec) from_ = s.remote_endpoint(ignored).address().to_string();
      done_ = true;
    });
  }
  std::string address() const {
    return acceptor_.local_endpoint().address().to_string() + ":" +
           std::to_string(acceptor_.local_endpoint().port());
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // Runs `io` until the connection came or the (generous) deadline passed.
  const std::string& wait(asio::io_context& io) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done_ && std::chrono::steady_clock::now() < end) {
      io.run_for(std::chrono::milliseconds(10));
    }
    return from_;
  }

 private:
  tcp::acceptor acceptor_;
  std::string from_;
  bool done_ = false;
};

TEST(SourceAddress, APeerLinkConnectsFromTheListenHost) {
  asio::io_context io;
  OneAccept peer(io, "127.0.0.62");
  PeerLinkOptions options;
  options.source_host = "127.0.0.61";
  PeerStats stats;
  auto link = std::make_shared<PeerLink>(io, "n1", peer.address(), options, stats);
  link->send("hello");
  EXPECT_EQ(peer.wait(io), "127.0.0.61");
  link->close();
}

TEST(SourceAddress, APeerLinkWithAWildcardHostLetsTheKernelChoose) {
  asio::io_context io;
  OneAccept peer(io, "127.0.0.62");
  PeerLinkOptions options;
  options.source_host = "0.0.0.0";
  PeerStats stats;
  auto link = std::make_shared<PeerLink>(io, "n1", peer.address(), options, stats);
  link->send("hello");
  EXPECT_EQ(peer.wait(io), "127.0.0.1");  // loopback's preferred source
  link->close();
}

TEST(SourceAddress, GossipBindsUdpToAndSyncsFromTheListenHost) {
  asio::io_context io;
  OneAccept seed(io, "127.0.0.72");  // takes the join's push/pull connection
  GossipTransportOptions options;
  options.bind_host = "127.0.0.71";
  GossipTransport gossip(io, 0, membership::MemberInfo{"n1", "127.0.0.71:0", {}}, options);
  ASSERT_EQ(gossip.start({seed.address()}), "");
  EXPECT_EQ(gossip.address().rfind("127.0.0.71:", 0), 0u) << gossip.address();
  // The UDP port is held on 127.0.0.71 alone: another address may still bind it.
  udp::socket other(io, udp::v4());
  std::error_code ec;
  other.bind(udp::endpoint(make_address("127.0.0.73"), gossip.port()), ec);
  EXPECT_FALSE(ec) << "gossip holds UDP port " << gossip.port() << " on every address";
  EXPECT_EQ(seed.wait(io), "127.0.0.71");
  gossip.stop();
  io.run_for(std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace drl::net
