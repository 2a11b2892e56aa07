// Overload across nodes, in real processes: a node flooded by clients past its capacity (its
// deciding made slow on purpose by a test hook) is not taken for dead by its peers, and the
// checks other nodes forward to it are still answered; a client that is shed by one node
// spreads its retries to the others.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "drl/client.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"

namespace drl::testing {
namespace {

CheckSpec spec(const std::string& key) {
  CheckSpec s;
  s.key = key;
  s.limit = InlineLimit{Algorithm::kTokenBucket, 1'000'000, std::chrono::seconds(1), 0};
  return s;
}

// Keeps `depth` checks outstanding against one node until stopped: a client flood far past
// the node's capacity. Answers are counted, never waited for one by one.
class Flood {
 public:
  Flood(const std::string& address, size_t depth) : client_(options(address)) {
    for (size_t i = 0; i < depth; ++i) fire();
  }
  // Callbacks still running stop re-firing; the client's destructor then fails the rest.
  ~Flood() { stopping_ = true; }
  uint64_t shed() const { return shed_; }
  uint64_t answered() const { return answered_; }

 private:
  static ClientOptions options(const std::string& address) {
    ClientOptions o;
    o.nodes = {address};
    o.overload_retries = 0;  // a flood does not back off
    o.request_timeout = std::chrono::seconds(10);
    return o;
  }
  void fire() {
    if (stopping_) return;
    client_.check_async({spec("flood:" + std::to_string(next_++ % 1000))},
                        [this](std::vector<CheckResult> r) {
                          ++answered_;
                          if (r[0].code == ResultCode::kOverloaded) ++shed_;
                          fire();
                        });
  }
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> next_{0}, shed_{0}, answered_{0};
  Client client_;  // last: destroyed first, while the counters still live
};

TEST(OverloadCluster, FloodedNodeStaysAliveForItsPeersAndAnswersForwardedChecks) {
  // 1 ms per client request admitted on each node (2 I/O threads each).
  LocalCluster cluster(
      3, {"--enable-test-hooks", "--test-decide-delay-us", "1000", "--default-timeout-ms", "50"});
  ASSERT_TRUE(cluster.error().empty()) << cluster.error();
  ASSERT_TRUE(eventually([&] { return cluster.stable(); }, std::chrono::seconds(30)));
  const std::string flooded = cluster.node(0).address();
  const std::string flooded_id = cluster.id(0);

  // One flooding connection per I/O thread of the node.
  Flood flood(flooded, 200), flood2(flooded, 200);
  // The flood is past capacity once the node starts shedding.
  ASSERT_TRUE(
      eventually([&] { return flood.shed() + flood2.shed() > 0; }, std::chrono::seconds(30)));

  // A client of n2 checks many keys: a third of them are owned by the flooded node, so n2
  // forwards them there. Each is answered (decided or shed with the code), none times out.
  ClientOptions o;
  o.nodes = {cluster.node(1).address()};
  o.overload_retries = 0;
  o.request_timeout = std::chrono::seconds(5);
  Client client(o);
  std::map<std::string, int> by_decider;
  int other = 0;
  std::string other_example;
  std::map<std::string, std::string> bad_view;
  for (int i = 0; i < 300; ++i) {
    auto r = client.check(spec("forwarded:" + std::to_string(i)));
    if (r.code == ResultCode::kOk || r.code == ResultCode::kOverloaded) {
      ++by_decider[r.decided_by];
    } else {
      ++other;
      other_example = std::string(result_code_name(r.code)) + ": " + r.message;
    }
    // Meanwhile the peers keep the flooded node alive in their membership.
    if (i % 10 == 0) {
      for (size_t peer : {1u, 2u}) {
        const auto states = member_states(cluster.node(peer).address());
        const auto it = states.find(flooded_id);
        if (it == states.end() || it->second != "alive") {
          bad_view[cluster.id(peer)] = it == states.end() ? "missing" : it->second;
        }
      }
    }
  }
  EXPECT_EQ(other, 0) << other_example;
  EXPECT_GT(by_decider[flooded_id], 0) << "checks owned by the flooded node are decided there";
  EXPECT_TRUE(bad_view.empty()) << "a peer saw the flooded node as " << bad_view.begin()->second;
  for (size_t i = 0; i < cluster.size(); ++i) EXPECT_TRUE(cluster.node(i).alive()) << i;
}

TEST(OverloadCluster, ClientShedByOneNodeRetriesOnAnother) {
  // Two independent nodes: A is flooded past its capacity, B is idle.
  NodeProcess a(
      {"--enable-test-hooks", "--test-decide-delay-us", "2000", "--default-timeout-ms", "50"});
  NodeProcess b;
  ASSERT_NE(a.port(), 0) << a.error();
  ASSERT_NE(b.port(), 0) << b.error();
  // One flooding connection per I/O thread of A (it runs 2), so the client's connection
  // shares a busy thread whichever it lands on.
  Flood flood(a.address(), 200), flood2(a.address(), 200);
  ASSERT_TRUE(
      eventually([&] { return flood.shed() + flood2.shed() > 0; }, std::chrono::seconds(30)));

  ClientOptions o;
  o.nodes = {a.address(), b.address()};  // A first: the client starts there
  o.overload_retries = 4;
  o.request_timeout = std::chrono::seconds(5);
  Client client(o);
  std::map<std::string, int> by_decider;
  int not_ok = 0;
  std::string example;
  for (int i = 0; i < 100; ++i) {
    auto r = client.check(spec("spread:" + std::to_string(i)));
    if (r.code == ResultCode::kOk) {
      ++by_decider[r.decided_by];
    } else {
      ++not_ok;
      example = std::string(result_code_name(r.code)) + ": " + r.message;
    }
  }
  EXPECT_EQ(not_ok, 0) << "every check is decided, by A or, after a retry, by B: " << example;
  EXPECT_GT(by_decider[b.address()], 0) << "shed checks are retried on the other node";
}

}  // namespace
}  // namespace drl::testing
