// The receiving side of peer links, over real loopback sockets: a peer that connects again
// replaces its older connection (which, after a cut, may never see a FIN and would otherwise
// hold its buffer for good).
#include "net/peer_server.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace drl::net {
namespace {

// The hello a peer link sends first: its id, a NUL, the address it listens on.
std::string hello(std::string id, const std::string& address) {
  id.push_back('\0');
  id.append(address);
  return id;
}

struct Fixture {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  PeerLinkOptions options;
  PeerStats stats;
  std::vector<std::string> received;
  PeerServer server{options, stats, [this](const std::string& from, std::string_view payload) {
                      received.push_back(from + ":" + std::string(payload));
                      return true;
                    }};

  // A client socket whose server side is handed to the PeerServer; sends `hello` first.
  std::unique_ptr<asio::ip::tcp::socket> connect(const std::string& hello,
                                                 PeerLane lane = PeerLane::kMain) {
    auto client = std::make_unique<asio::ip::tcp::socket>(io);
    client->connect(acceptor.local_endpoint());
    asio::ip::tcp::socket accepted(io);
    acceptor.accept(accepted);
    server.accept(std::move(accepted), lane);
    asio::write(*client, asio::buffer(seal_peer_frame(hello, options.sealer.get())));
    return client;
  }
  void send(asio::ip::tcp::socket& s, const std::string& payload) {
    asio::write(s, asio::buffer(seal_peer_frame(payload, options.sealer.get())));
  }
  template <typename F>
  bool run_until(F done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(5));
      io.restart();
    }
    return done();
  }
};

TEST(PeerServer, APeerThatConnectsAgainReplacesItsOlderConnection) {
  Fixture f;
  auto first = f.connect(hello("n2", "127.0.0.1:7001"));
  f.send(*first, "one");
  ASSERT_TRUE(f.run_until([&] { return f.received.size() == 1; }));
  EXPECT_EQ(f.server.sessions(), 1u);

  auto second = f.connect(hello("n2", "127.0.0.1:7001"));
  f.send(*second, "two");
  ASSERT_TRUE(f.run_until([&] { return f.received.size() == 2; }));
  EXPECT_EQ(f.received[1], "n2:two");
  EXPECT_EQ(f.server.sessions(), 1u) << "the older connection from n2 is still held";
  EXPECT_EQ(f.stats.replaced_connections.load(), 1u);

  // Another peer's connection is left alone.
  auto other = f.connect(hello("n3", "127.0.0.1:7002"));
  f.send(*other, "three");
  ASSERT_TRUE(f.run_until([&] { return f.received.size() == 3; }));
  EXPECT_EQ(f.server.sessions(), 2u);
  f.server.stop();
}

// A peer's check lane is a second connection beside its main one, not a replacement of it;
// a new connection on a lane replaces only that lane's older one.
TEST(PeerServer, APeersTwoLanesAreKeptSideBySide) {
  Fixture f;
  auto main = f.connect(hello("n2", "127.0.0.1:7001"), PeerLane::kMain);
  auto checks = f.connect(hello("n2", "127.0.0.1:7001"), PeerLane::kChecks);
  f.send(*main, "replicas");
  f.send(*checks, "checks");
  ASSERT_TRUE(f.run_until([&] { return f.received.size() == 2; }));
  EXPECT_EQ(f.server.sessions(), 2u) << "one lane replaced the other";
  EXPECT_EQ(f.stats.replaced_connections.load(), 0u);

  auto checks_again = f.connect(hello("n2", "127.0.0.1:7001"), PeerLane::kChecks);
  f.send(*checks_again, "checks again");
  f.send(*main, "replicas again");
  ASSERT_TRUE(f.run_until([&] { return f.received.size() == 4; }));
  EXPECT_EQ(f.server.sessions(), 2u);
  EXPECT_EQ(f.stats.replaced_connections.load(), 1u);
  f.server.stop();
}

}  // namespace
}  // namespace drl::net
