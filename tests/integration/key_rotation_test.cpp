// Rotating the cluster key under load, as docs/operations.md tells an operator to: on every
// node in turn, (1) add the new key after the old one and SIGHUP, (2) put the new key first
// and SIGHUP, (3) remove the old key and SIGHUP. Checks go through every node (so forwards,
// replicas and gossip all cross the rotation) the whole time. Nothing may be lost: every check
// is answered, every key admits exactly its limit, no member is ever suspected dead, and no
// node refuses a single gossip packet or peer frame.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "drl/client.h"
#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"

namespace drl {
namespace {

using testing::eventually;

const std::string kOld(64, 'a');
const std::string kNew(64, 'b');
constexpr uint32_t kLimit = 5;
constexpr int kKeys = 60;

CheckSpec five_per_hour(int key) {
  CheckSpec s;
  s.key = "rotate:" + std::to_string(key);
  s.limit = InlineLimit{Algorithm::kFixedWindow, kLimit, std::chrono::hours(1), 0};
  return s;
}

size_t count(const std::string& text, const std::string& word) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(word, at)) != std::string::npos; at += word.size()) ++n;
  return n;
}

TEST(KeyRotation, ThreeStepsThroughThreeNodesUnderLoadLoseNothing) {
  std::vector<std::unique_ptr<testing::TempFile>> key_files;
  for (int i = 0; i < 3; ++i) key_files.push_back(std::make_unique<testing::TempFile>(kOld + "\n"));
  testing::LocalCluster cluster(3, {"--metrics", "127.0.0.1:0"}, [&](size_t i) {
    return std::vector<std::string>{"--cluster-key-file", key_files[i]->path()};
  });
  ASSERT_EQ(cluster.error(), "");
  ASSERT_TRUE(eventually([&] { return cluster.stable(); }, std::chrono::seconds(30)));
  const auto addresses = cluster.addresses();

  // The load: each thread asks through its own node, key after key, round after round.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> answered{0}, failed{0};
  std::vector<std::map<int, uint32_t>> allowed(3);
  std::vector<std::string> first_error(3);
  std::vector<std::thread> load;
  for (size_t t = 0; t < 3; ++t) {
    load.emplace_back([&, t] {
      Client client({.nodes = {addresses[t]}});
      for (int round = 0; !stop; ++round) {
        for (int k = 0; k < kKeys && !stop; ++k) {
          const CheckResult r = client.check(five_per_hour(k));
          ++answered;
          if (r.code != ResultCode::kOk) {
            if (failed++ == 0) first_error[t] = r.message;
            continue;
          }
          if (r.allowed) ++allowed[t][k];
        }
      }
    });
  }
  auto steady = [&] {
    for (const auto& a : addresses) {
      const auto states = testing::member_states(a);
      if (states.size() != 3) return false;
      for (const auto& [id, state] : states) {
        if (state != "alive") return false;
      }
    }
    return true;
  };

  const std::vector<std::string> steps = {kOld + "\n" + kNew + "\n", kNew + "\n" + kOld + "\n",
                                          kNew + "\n"};
  size_t installed = 0;
  for (const auto& ring : steps) {
    ++installed;
    for (size_t i = 0; i < 3; ++i) {
      const uint64_t before = answered;
      key_files[i]->write(ring);
      cluster.node(i).signal(SIGHUP);
      ASSERT_TRUE(eventually([&] {
        return count(cluster.node(i).log(), "cluster_key_installed") == installed;
      })) << cluster.node(i).log();
      // Let checks, forwards and gossip cross the new ring before the next node moves.
      ASSERT_TRUE(eventually([&] { return answered > before + 1000; }));
      EXPECT_TRUE(steady()) << "a member was suspected after node " << i << "'s reload";
    }
  }
  stop = true;
  for (auto& t : load) t.join();

  EXPECT_EQ(failed.load(), 0u) << "first error: " << first_error[0] << first_error[1]
                               << first_error[2];
  for (int k = 0; k < kKeys; ++k) {
    uint32_t total = 0;
    for (const auto& per_thread : allowed) {
      if (auto it = per_thread.find(k); it != per_thread.end()) total += it->second;
    }
    EXPECT_EQ(total, kLimit) << "key " << k;
  }
  for (size_t i = 0; i < 3; ++i) {
    const std::string page = testing::scrape(testing::metrics_port(cluster.node(i)));
    EXPECT_EQ(testing::metric(page, "drl_gossip_dropped_total{kind=\"auth_failed\"}"), 0.0)
        << "node " << i;
    EXPECT_EQ(testing::metric(page, "drl_peer_frames_rejected_total{kind=\"auth_failed\"}"), 0.0)
        << "node " << i;
  }
  EXPECT_TRUE(steady());
  // The last step's ring is the new key alone: a node still holding only the old key is now
  // a stranger (its packets are refused), which the counters above would show.
}

// A bad key file on SIGHUP is refused with the reason, and the node keeps its ring.
TEST(KeyRotation, ABadKeyFileIsRefusedAndTheOldRingKept) {
  testing::TempFile key(kOld + "\n");
  testing::LocalCluster cluster(2, {"--cluster-key-file", key.path()});
  ASSERT_EQ(cluster.error(), "");
  ASSERT_TRUE(eventually([&] { return cluster.stable(); }, std::chrono::seconds(30)));
  key.write("not a key\n");
  cluster.node(0).signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return count(cluster.node(0).log(), "cluster_key_refused") == 1; }))
      << cluster.node(0).log();
  EXPECT_NE(cluster.node(0).log().find("line 1"), std::string::npos);
  Client client({.nodes = {cluster.addresses()[0]}});
  for (int k = 0; k < 20; ++k) {
    EXPECT_EQ(client.check(five_per_hour(1000 + k)).code, ResultCode::kOk) << "key " << k;
  }
  EXPECT_TRUE(cluster.converged());
}

}  // namespace
}  // namespace drl
