// All or nothing through the native protocol (CheckRequest.all_or_nothing) and the C++ client
// (BatchOptions): a batch one check of which is denied leaves the others uncharged, on one node
// and across the owners of a 3-node cluster, with the client routing checks to their owners
// (an all-or-nothing batch goes whole to one node).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "drl/client.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"

namespace drl {
namespace {

using testing::eventually;
using testing::LocalCluster;
using testing::NodeProcess;

// About all or nothing, not shedding: no overload control or deadline in the way on a slow host.
const std::vector<std::string> kNoShedding = {"--queue-target-ms", "60000", "--default-timeout-ms",
                                              "10000"};

// `key` under `limit` per year (fixed window: no test runs across its edge).
CheckSpec spec(const std::string& key, uint64_t limit, uint64_t cost = 1) {
  CheckSpec s;
  s.key = key;
  s.cost = cost;
  s.limit = InlineLimit{Algorithm::kFixedWindow, limit, std::chrono::hours(24 * 365), 0};
  return s;
}

uint64_t remaining(Client& client, const std::string& key, uint64_t limit) {
  return client.check(spec(key, limit, 0)).remaining;
}

TEST(AllOrNothingClient, OneDeniedCheckLeavesTheOthersUncharged) {
  NodeProcess node(kNoShedding);
  ASSERT_NE(node.port(), 0) << node.error() << node.log();
  Client client({.nodes = {node.address()}});
  ASSERT_TRUE(client.check(spec("spent", 1)).allowed);
  const auto group = client.check({spec("fresh", 5), spec("spent", 1), spec("other", 3, 2)},
                                  {.all_or_nothing = true});
  ASSERT_EQ(group.size(), 3u);
  EXPECT_EQ(group[0].code, ResultCode::kOk);
  EXPECT_FALSE(group[1].allowed);
  EXPECT_EQ(group[0].remaining, 5u);  // what the refund left
  EXPECT_EQ(remaining(client, "fresh", 5), 5u);
  EXPECT_EQ(remaining(client, "other", 3), 3u);
  // Without the flag each check is decided on its own: the others are charged.
  client.check({spec("fresh", 5), spec("spent", 1)});
  EXPECT_EQ(remaining(client, "fresh", 5), 4u);
  // A group that passes is charged once.
  const auto pass = client.check({spec("a", 2), spec("b", 2)}, {.all_or_nothing = true});
  EXPECT_TRUE(pass[0].allowed && pass[1].allowed);
  EXPECT_EQ(remaining(client, "a", 2), 1u);
  EXPECT_EQ(remaining(client, "b", 2), 1u);
}

// Concurrent groups of a shared key (50) and one of 20 users (5 each), owned by different
// nodes, from smart clients on every node: each key ends charged exactly by the admitted groups.
TEST(AllOrNothingClient, ThreeNodesRoutedToOwners) {
  LocalCluster cluster(3, kNoShedding);
  ASSERT_TRUE(cluster.error().empty()) << cluster.error();
  ASSERT_TRUE(eventually([&] { return cluster.stable(); }, std::chrono::seconds(30)));
  const auto addresses = cluster.addresses();
  constexpr int kUsers = 20;
  constexpr int kClients = 6;
  constexpr int kGroupsPerClient = 50;
  std::vector<std::atomic<int>> admitted(kUsers);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      ClientOptions o{.nodes = {addresses[c % addresses.size()]}};
      o.route_to_owner = true;
      o.request_timeout = std::chrono::seconds(10);
      Client client(o);
      for (int i = 0; i < kGroupsPerClient; ++i) {
        const int user = (c * 3 + i) % kUsers;
        const auto r = client.check({spec("shared", 50), spec("u" + std::to_string(user), 5)},
                                    {.all_or_nothing = true});
        if (r[0].code != ResultCode::kOk || r[1].code != ResultCode::kOk) {
          ++failures;
          continue;
        }
        if (r[0].allowed && r[1].allowed) ++admitted[user];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  Client client({.nodes = {addresses[0]}});
  int total = 0;
  for (int u = 0; u < kUsers; ++u) {
    EXPECT_LE(admitted[u].load(), 5);
    EXPECT_EQ(remaining(client, "u" + std::to_string(u), 5), 5u - admitted[u].load()) << "u" << u;
    total += admitted[u].load();
  }
  EXPECT_GT(total, 0);
  EXPECT_LE(total, 50);
  EXPECT_EQ(remaining(client, "shared", 50), 50u - total);
}

}  // namespace
}  // namespace drl
