// Kernel-level partitions of real processes: three nodes, each on its own loopback address
// (so each sends its peer traffic from it), and an iptables chain that drops every packet
// between one node and the others. The others declare it dead, clients on 127.0.0.1 still
// reach it, and once the rules are gone all three agree again. Runs only as root with
// iptables (skips otherwise, saying why); the chain is removed on every path (RAII).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "integration/support/cluster_support.h"
#include "integration/support/firewall_cut.h"

namespace drl {
namespace {

using testing::eventually;
using testing::FirewallCut;
using testing::NodeProcess;

constexpr auto kPollLimit = std::chrono::seconds(60);  // generous: a loaded 2-core machine

// Nodes n1..nN, node i listening on hosts[i] (port 0), n2.. joining n1.
class OwnAddressCluster {
 public:
  explicit OwnAddressCluster(const std::vector<std::string>& hosts) {
    for (size_t i = 0; i < hosts.size(); ++i) {
      std::vector<std::string> args = {"--id", id(i)};
      if (i > 0) args.insert(args.end(), {"--join", addresses_[0]});
      nodes_.push_back(std::make_unique<NodeProcess>(args, hosts[i] + ":0"));
      if (!nodes_.back()->error().empty()) error_ += nodes_.back()->error() + "\n";
      addresses_.push_back(hosts[i] + ":" + std::to_string(nodes_.back()->port()));
    }
  }
  static std::string id(size_t i) { return "n" + std::to_string(i + 1); }
  const std::vector<std::string>& addresses() const { return addresses_; }
  const std::string& error() const { return error_; }
  // The state node `viewer` holds for node `subject` ("" when it does not answer).
  std::string state(size_t viewer, size_t subject) const {
    const auto all = testing::member_states(addresses_[viewer]);
    const auto it = all.find(id(subject));
    return it == all.end() ? "" : it->second;
  }
  bool all_alive() const {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      for (size_t j = 0; j < nodes_.size(); ++j) {
        if (state(i, j) != "alive") return false;
      }
    }
    return true;
  }

 private:
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::vector<std::string> addresses_;
  std::string error_;
};

TEST(FirewallCut, ANodeCutOffByTheKernelIsDeclaredDeadAndReturnsWhenHealed) {
  if (const auto why = FirewallCut::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const auto hosts = testing::private_loopback_hosts(3);
  OwnAddressCluster c(hosts);
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.all_alive(); }, kPollLimit))
      << "the 3 nodes never all saw each other alive";

  FirewallCut firewall;
  ASSERT_TRUE(firewall.error().empty()) << firewall.error();
  ASSERT_TRUE(firewall.isolate(hosts[0], {hosts[1], hosts[2]})) << firewall.error();
  ASSERT_TRUE(
      eventually([&] { return c.state(1, 0) == "dead" && c.state(2, 0) == "dead"; }, kPollLimit))
      << "n2 and n3 never declared n1 dead behind " << firewall.chain();
  // Only n1's links were cut: n2 and n3 still see each other, and a client (from 127.0.0.1)
  // still reaches n1, which in turn loses both of the others.
  EXPECT_EQ(c.state(1, 2), "alive");
  EXPECT_EQ(c.state(2, 1), "alive");
  EXPECT_TRUE(eventually(
      [&] {
        const auto s1 = c.state(0, 1), s2 = c.state(0, 2);
        return (s1 == "suspect" || s1 == "dead") && (s2 == "suspect" || s2 == "dead");
      },
      kPollLimit))
      << "n1 (answering its clients) never lost sight of n2 and n3";

  ASSERT_TRUE(firewall.heal()) << firewall.error();
  EXPECT_TRUE(eventually([&] { return c.all_alive(); }, kPollLimit))
      << "after the heal, the 3 nodes never all saw each other alive again";
  EXPECT_TRUE(eventually([&] { return testing::same_ring(c.addresses()); }, kPollLimit))
      << "after the heal, the nodes never agreed on one ring";
}

}  // namespace
}  // namespace drl
