// With a cluster key, a process holding another key cannot join the cluster, forward a check,
// replicate state into a node or read a node's state through a hand-off; its messages are
// dropped and counted. Each refusal is paired with the same message under the right key,
// which does take effect, so the test shows the key (not a broken message) made the difference.
#include <gtest/gtest.h>

#include <poll.h>

#include <asio/write.hpp>
#include <chrono>
#include <limits>

#include "cluster/peer_codec.h"
#include "drl/client.h"
#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"
#include "membership/sealer.h"
#include "net/peer_link.h"
#include "service/frame.h"
#include "service/wire_convert.h"

namespace drl {
namespace {

using testing::eventually;
using testing::NodeProcess;
using testing::TempFile;

const std::string kKeyHex(64, 'a');
const std::string kOtherKeyHex(64, 'b');

// Seals as a node with this one key would (any nonce prefix: one message each).
std::shared_ptr<const membership::Sealer> key_of(const std::string& hex) {
  return std::make_shared<membership::Sealer>(*membership::parse_key_ring(hex),
                                              membership::Sealer::NoncePrefix{});
}

CheckSpec one_per_hour(const std::string& key) {
  CheckSpec s;
  s.key = key;
  s.limit = InlineLimit{Algorithm::kFixedWindow, 1, std::chrono::hours(1), 0};
  return s;
}

// The check a client would send for one_per_hour(key), as a peer forwards it.
cluster::ForwardedCheck forwarded(const std::string& key) {
  wire::Check check;
  check.set_key(key);
  check.mutable_limit()->set_algorithm(wire::FIXED_WINDOW);
  check.mutable_limit()->set_limit(1);
  check.mutable_limit()->set_window_ms(3600 * 1000);
  service::CheckCall call;
  service::decode_check(check, call);
  cluster::ForwardedCheck f;
  f.request_id = 1;
  f.must_decide = true;
  f.key = key;
  f.limit = call.limit;
  f.request = call.request;
  return f;
}

uint64_t rejected_peer_frames(const std::string& address) {
  wire::StatusResponse s;
  return testing::fetch_status(address, s) ? s.peer_rejected_frames() : 0;
}

TEST(ClusterKey, AProcessWithAnotherKeyCannotJoin) {
  TempFile key(kKeyHex), other(kOtherKeyHex);
  testing::LocalCluster cluster(2, {"--cluster-key-file", key.path()});
  ASSERT_EQ(cluster.error(), "");
  ASSERT_TRUE(eventually([&] { return cluster.converged(); }, std::chrono::seconds(30)));
  const std::string seed = cluster.node(0).address();
  NodeProcess intruder({"--id", "intruder", "--join", seed, "--cluster-key-file", other.path()});
  ASSERT_NE(intruder.port(), 0) << intruder.error();
  wire::StatusResponse s;
  ASSERT_TRUE(
      eventually([&] { return testing::fetch_status(seed, s) && s.gossip_rejected_packets() > 0; },
                 std::chrono::seconds(20)));
  for (const auto& address : cluster.addresses()) {
    const auto states = testing::member_states(address);
    EXPECT_EQ(states.size(), 2u) << address;
    EXPECT_EQ(states.count("intruder"), 0u) << address;
  }
  const auto seen_by_intruder = testing::member_states(intruder.address());
  EXPECT_EQ(seen_by_intruder.size(), 1u);  // itself only
}

// A peer connection of our own, sealed with a key of the test's choosing. Unlike a plain
// blocking socket, waiting for the node to close it gives up after a deadline, so a node that
// keeps the connection open fails the test instead of hanging it.
class ForgedPeer {
 public:
  explicit ForgedPeer(uint16_t port) : socket_(io_) {
    std::error_code ec;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  }
  // Sends the magic, a hello as member `id` listening at `address`, then `message`.
  void send(const std::shared_ptr<const membership::Sealer>& key, const std::string& id,
            const std::string& address, const cluster::PeerMessage& message) {
    std::string hello = id;
    hello.push_back('\0');
    hello += address;
    const std::string bytes =
        "DRLP" + net::seal_peer_frame(hello, key.get()) +
        net::seal_peer_frame(cluster::encode_peer_message(message), key.get());
    std::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
  }
  // True once the node closed the connection, false if it is still open after `deadline`.
  // (poll() bounds the wait: asio's blocking read would wait forever.)
  bool closed_by_node(std::chrono::seconds deadline = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      pollfd fd{socket_.native_handle(), POLLIN, 0};
      if (::poll(&fd, 1, 200) <= 0) continue;
      std::error_code ec;
      socket_.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
      if (ec) return false;
    }
    return false;
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

const auto kPoll = std::chrono::seconds(30);  // generous: a loaded 2-core machine

// A check forwarded or a record replicated under another key has no effect; the same message
// under the right key does.
TEST(ClusterKey, AnotherKeyCannotForwardOrReplicate) {
  TempFile key(kKeyHex);
  NodeProcess node({"--id", "n1", "--cluster-key-file", key.path()});
  ASSERT_NE(node.port(), 0) << node.error();
  const auto right = key_of(kKeyHex), wrong = key_of(kOtherKeyHex);
  ClientOptions options{.nodes = {node.address()}};
  options.request_timeout = std::chrono::seconds(10);
  Client client(options);
  const std::string nowhere = "127.0.0.1:1";  // answers to the forged sender go nowhere

  // Forward: with the wrong key the check is not decided; with the right key it is.
  {
    ForgedPeer p(node.port());
    p.send(wrong, "intruder", nowhere, cluster::CheckBatch{{forwarded("fwd-wrong")}});
    EXPECT_TRUE(p.closed_by_node()) << "a frame under another key left the connection open";
  }
  EXPECT_TRUE(eventually([&] { return rejected_peer_frames(node.address()) >= 1; }, kPoll));
  EXPECT_TRUE(client.check(one_per_hour("fwd-wrong")).allowed) << "the forged check was decided";
  {
    ForgedPeer p(node.port());
    p.send(right, "intruder", nowhere, cluster::CheckBatch{{forwarded("fwd-right")}});
    EXPECT_TRUE(eventually([&] { return !client.check(one_per_hour("fwd-right")).allowed; }, kPoll))
        << "control: a check forwarded with the right key is decided";
  }

  // Replicate: a record sent with the wrong key is not installed; with the right key it is.
  store::KeyRecord record;
  record.key = "replica";
  record.version = 99;
  record.expires_at = std::numeric_limits<TimePoint>::max() / 2;
  wire::StatusResponse before;
  ASSERT_TRUE(testing::fetch_status(node.address(), before)) << node.log();
  {
    ForgedPeer p(node.port());
    p.send(wrong, "intruder", nowhere, cluster::ReplicaBatch{{record}});
    EXPECT_TRUE(p.closed_by_node());
  }
  EXPECT_TRUE(eventually([&] { return rejected_peer_frames(node.address()) >= 2; }, kPoll));
  wire::StatusResponse after;
  ASSERT_TRUE(testing::fetch_status(node.address(), after));
  EXPECT_EQ(after.keys(), before.keys());
  EXPECT_EQ(after.replica_records_installed(), before.replica_records_installed());
  {
    ForgedPeer p(node.port());
    p.send(right, "intruder", nowhere, cluster::ReplicaBatch{{record}});
    EXPECT_TRUE(eventually(
        [&] {
          return testing::fetch_status(node.address(), after) &&
                 after.replica_records_installed() > before.replica_records_installed();
        },
        kPoll))
        << "control: a record replicated with the right key is installed";
  }
  EXPECT_EQ(rejected_peer_frames(node.address()), 2u);
}

// Read state: a hand-off request under another key makes the node ship nothing; the same
// request under the right key makes it ship all its keys. A node serves hand-offs only to
// members of its view, so the forged requests claim to come from the other member, n2, and the
// keys shipped land there (--replicas 1: n2 holds none of n1's keys otherwise).
TEST(ClusterKey, AnotherKeyCannotReadState) {
  TempFile key(kKeyHex);
  testing::LocalCluster cluster(2, {"--cluster-key-file", key.path(), "--replicas", "1"});
  ASSERT_EQ(cluster.error(), "");
  ASSERT_TRUE(eventually([&] { return cluster.stable(); }, std::chrono::seconds(60)))
      << "the 2 nodes never agreed on one ring";
  const auto right = key_of(kKeyHex), wrong = key_of(kOtherKeyHex);
  const std::string n1 = cluster.node(0).address(), n2 = cluster.node(1).address();
  ClientOptions options{.nodes = {n1}};
  options.request_timeout = std::chrono::seconds(10);
  Client client(options);
  auto keys_of = [](const std::string& address) {
    wire::StatusResponse s;
    return testing::fetch_status(address, s) ? s.keys() : ~uint64_t{0};
  };
  // Keys until n1 owns some (each key has one owner; with 2 nodes, half of them).
  for (int i = 0; i < 64 && (keys_of(n1) == 0 || keys_of(n1) == ~uint64_t{0}); ++i) {
    client.check(one_per_hour("state-" + std::to_string(i)));
  }
  const uint64_t n1_keys = keys_of(n1), n2_keys = keys_of(n2);
  ASSERT_GT(n1_keys, 0u);
  ASSERT_NE(n1_keys, ~uint64_t{0});
  ASSERT_NE(n2_keys, ~uint64_t{0});

  const ring::HashRange everything{0, ~uint64_t{0}};
  {
    ForgedPeer p(cluster.node(0).port());
    p.send(wrong, cluster.id(1), n2, cluster::HandoffRequest{111, {everything}});
    EXPECT_TRUE(p.closed_by_node());
  }
  EXPECT_TRUE(eventually([&] { return rejected_peer_frames(n1) >= 1; }, kPoll));
  EXPECT_EQ(keys_of(n2), n2_keys) << "a hand-off asked with another key shipped n1's keys";
  {
    ForgedPeer p(cluster.node(0).port());
    p.send(right, cluster.id(1), n2, cluster::HandoffRequest{222, {everything}});
    EXPECT_TRUE(eventually([&] { return keys_of(n2) == n1_keys + n2_keys; }, kPoll))
        << "control: a hand-off asked with the right key ships n1's keys";
  }
  EXPECT_EQ(rejected_peer_frames(n1), 1u);
}

}  // namespace
}  // namespace drl
