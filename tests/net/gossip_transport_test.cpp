// The gossip asio adapter over loopback: three transports in one process (ports 0), each
// behind a TCP acceptor that dispatches "DRLG" connections to accept_sync() as the node will.
// Polls for convergence with a deadline; never sleeps as a wait.
#include "net/gossip_transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace drl::net {
namespace {

using asio::ip::tcp;
using asio::ip::udp;

// What the node's shared-port acceptor does, reduced to the gossip case.
class Dispatcher {
 public:
  Dispatcher(asio::io_context& io, std::function<void(tcp::socket)> on_gossip)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        on_gossip_(std::move(on_gossip)) {
    accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void close() {
    asio::post(acceptor_.get_executor(), [this] { acceptor_.close(); });
  }

 private:
  void accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto s = std::make_shared<tcp::socket>(std::move(socket));
      auto magic = std::make_shared<std::array<char, 4>>();
      asio::async_read(*s, asio::buffer(*magic), [this, s, magic](std::error_code ec2, size_t) {
        if (!ec2 && std::equal(magic->begin(), magic->end(), kGossipSyncMagic)) {
          on_gossip_(std::move(*s));
        }
      });
      accept();
    });
  }
  tcp::acceptor acceptor_;
  std::function<void(tcp::socket)> on_gossip_;
};

struct TestNode {
  TestNode(asio::io_context& io, const std::string& id, GossipTransportOptions options)
      : dispatcher(io, [this](tcp::socket s) { transport->accept_sync(std::move(s)); }) {
    transport = std::make_unique<GossipTransport>(
        io, dispatcher.port(),
        membership::MemberInfo{id, "127.0.0.1:" + std::to_string(dispatcher.port()), {}}, options);
  }
  Dispatcher dispatcher;
  std::unique_ptr<GossipTransport> transport;
};

bool poll_until(const std::function<bool()>& pred, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling interval, not a wait
  }
  return pred();
}

GossipTransportOptions fast_options(uint64_t seed) {
  GossipTransportOptions o;
  o.config.probe_interval = 100 * kMillisecond;
  o.config.probe_timeout = 40 * kMillisecond;
  o.config.push_pull_interval = 2 * kSecond;
  membership::ClusterKey key;
  key.fill(0x5a);
  membership::Sealer::NoncePrefix prefix{};
  prefix[0] = static_cast<uint8_t>(seed);  // a nonce prefix of each node's own
  o.sealer = std::make_shared<membership::Sealer>(membership::KeyRing{{key}}, prefix);
  o.seed = seed;
  o.tick_interval = 5 * kMillisecond;
  return o;
}

size_t live_count(const GossipTransport& t) { return t.alive_members().size(); }

TEST(GossipTransport, ThreeNodesConvergeDetectACrashAndDropGarbage) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(std::make_unique<TestNode>(io, "n" + std::to_string(i), fast_options(i + 1)));
  }
  ASSERT_EQ(nodes[0]->transport->start({}), "");
  const std::string seed = nodes[0]->transport->address();
  ASSERT_EQ(nodes[1]->transport->start({seed}), "");
  ASSERT_EQ(nodes[2]->transport->start({seed}), "");
  std::thread runner([&] { io.run(); });

  EXPECT_TRUE(poll_until(
      [&] {
        for (auto& n : nodes) {
          if (live_count(*n->transport) != 3) return false;
        }
        return true;
      },
      std::chrono::seconds(20)));
  auto alive = nodes[1]->transport->alive_members();
  ASSERT_EQ(alive.size(), 3u);
  EXPECT_EQ(alive[0].info.id, "n0");  // sorted by id
  EXPECT_EQ(alive[2].info.id, "n2");

  // Garbage and forged datagrams are dropped and counted.
  {
    udp::socket s(io, udp::endpoint(udp::v4(), 0));
    const udp::endpoint to(asio::ip::make_address("127.0.0.1"), nodes[0]->transport->port());
    s.send_to(asio::buffer(std::string("definitely not gossip")), to);
    membership::GossipCodec forger(std::make_shared<membership::Sealer>(  // all-zero key: wrong
        membership::KeyRing{{membership::ClusterKey{}}}, membership::Sealer::NoncePrefix{}));
    s.send_to(asio::buffer(forger.encode(
                  membership::Message{"evil", "127.0.0.1:1", membership::Ping{1, "n0"}, {}}, 1400)),
              to);
  }
  EXPECT_TRUE(poll_until(
      [&] {
        auto st = nodes[0]->transport->codec_stats();
        return st.dropped_unknown_format >= 1 && st.dropped_auth_failed >= 1;
      },
      std::chrono::seconds(10)));

  // A crashed node (socket closed, acceptor closed) is declared dead by the others.
  nodes[2]->transport->stop();
  nodes[2]->dispatcher.close();
  EXPECT_TRUE(poll_until(
      [&] {
        return live_count(*nodes[0]->transport) == 2 && live_count(*nodes[1]->transport) == 2;
      },
      std::chrono::seconds(20)));

  nodes[0]->transport->stop();
  nodes[1]->transport->stop();
  nodes[0]->dispatcher.close();
  nodes[1]->dispatcher.close();
  work.reset();
  io.stop();
  runner.join();
}

TEST(GossipTransport, ReportsABindFailureAsAMessage) {
  asio::io_context io;
  udp::socket taken(io, udp::endpoint(udp::v4(), 0));
  const uint16_t port = taken.local_endpoint().port();
  GossipTransport t(io, port, membership::MemberInfo{"x", "127.0.0.1:" + std::to_string(port), {}});
  const std::string error = t.start({});
  EXPECT_NE(error.find("cannot bind UDP port"), std::string::npos) << error;
}

}  // namespace
}  // namespace drl::net
