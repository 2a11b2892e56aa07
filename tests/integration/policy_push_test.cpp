// One policy set for the whole cluster, on real processes: a set pushed through one node is
// what every node answers by (the same key gets the new limit through every node); a bad set
// is refused at the pushing node with its reason and changes nothing; a node that joins later
// takes the cluster's set over its own file; a SIGHUP of one node's changed file becomes the
// next version everywhere; a node with --data-dir keeps the pushed set across a restart; a
// check is decided under its owner's set, whichever node it entered.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "drl/client.h"
#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;

std::string policies(int limit) {
  return "policies:\n  p:\n    limit: " + std::to_string(limit) + "\n    window: 1h\n";
}

// The limit node `address` answers a peek of `key` under policy p with (0: no answer).
uint64_t limit_through(const std::string& address, const std::string& key) {
  Client client({.nodes = {address}});
  CheckSpec spec;
  spec.key = key;
  spec.policy = "p";
  spec.cost = 0;
  const auto r = client.check(spec);
  return r.code == ResultCode::kOk ? r.limit : 0;
}

TEST(PolicyPush, OneSetReachesEveryNodeAndAJoinerAndABadSetIsRefused) {
  testing::TempFile file(policies(200));
  testing::TempFile pushed(policies(2));
  testing::TempFile bad("policies:\n  p:\n    limit: 0\n    window: 1h\n");
  testing::LocalCluster c(3, {"--policies", file.path()});
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(20)));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(limit_through(c.node(i).address(), "k"), 200u);

  auto r = testing::run_drl_with_errors(
      {"policy", "push", pushed.path(), "--server", c.node(1).address()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("policy set version 1"), std::string::npos) << r.out;
  ASSERT_TRUE(eventually([&] { return testing::all_hold_policy_version(c.addresses(), 1); },
                         std::chrono::seconds(10)));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(limit_through(c.node(i).address(), "k"), 2u) << c.id(i);
  }
  r = testing::run_drl({"status", "--server", c.node(0).address(), "--cluster"});
  EXPECT_NE(r.out.find("agreement  yes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" v1"), std::string::npos) << r.out;

  r = testing::run_drl_with_errors({"policy", "push", bad.path(), "--server", c.node(2).address()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("limit"), std::string::npos) << r.out;  // the node's reason
  EXPECT_TRUE(testing::all_hold_policy_version(c.addresses(), 1));
  EXPECT_EQ(limit_through(c.node(2).address(), "k"), 2u);

  c.start(3);  // n4 joins with the old file (version 0)
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return testing::all_hold_policy_version(c.addresses(), 1); },
                         std::chrono::seconds(20)));
  EXPECT_EQ(limit_through(c.node(3).address(), "k"), 2u);

  // SIGHUP of one node whose file changed: the next version, everywhere.
  file.write(policies(5));
  c.node(0).signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return testing::all_hold_policy_version(c.addresses(), 2); },
                         std::chrono::seconds(10)));
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(limit_through(c.node(i).address(), "k"), 5u) << c.id(i);
  }
  // Another node's SIGHUP of the same (shared) file pushes nothing new.
  c.node(2).signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return c.node(2).log().find("SIGHUP") != std::string::npos; }));
  EXPECT_TRUE(testing::all_hold_policy_version(c.addresses(), 2));
}

TEST(PolicyPush, ACheckIsDecidedUnderItsOwnersSetWhicheverNodeItEntered) {
  // Two nodes whose sets disagree (as while a push spreads, or files nobody pushed): n1 says
  // p is 200 an hour, n2 says 2. A key's answer is its owner's, through either node.
  testing::TempFile v1(policies(200));
  testing::TempFile v2(policies(2));
  testing::LocalCluster c(2, {}, [&](size_t i) {
    return std::vector<std::string>{"--policies", i == 0 ? v1.path() : v2.path()};
  });
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(20)));
  std::set<uint64_t> seen;
  for (int k = 0; k < 16; ++k) {
    const std::string key = "user:" + std::to_string(k);
    const uint64_t through_n1 = limit_through(c.node(0).address(), key);
    const uint64_t through_n2 = limit_through(c.node(1).address(), key);
    EXPECT_EQ(through_n1, through_n2) << key;
    seen.insert(through_n1);
  }
  // Both owners own some of the 16 keys (each about half of the ring).
  EXPECT_EQ(seen, (std::set<uint64_t>{2, 200}));
}

TEST(PolicyPush, ANodeWithADataDirKeepsThePushedSetAcrossARestart) {
  testing::TempFile file(policies(200));
  testing::TempFile pushed(policies(3));
  char tmpl[] = "/tmp/drl-policy-data-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::vector<std::string> args = {"--id",      "solo",       "--policies",
                                         file.path(), "--data-dir", dir};
  std::string address;
  {
    testing::NodeProcess node(args);
    ASSERT_NE(node.port(), 0) << node.error();
    address = node.address();
    auto r = testing::run_drl_with_errors({"policy", "push", pushed.path(), "--server", address});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(limit_through(address, "k"), 3u);
    EXPECT_EQ(node.stop(), 0);
  }
  testing::NodeProcess again(args, address);
  ASSERT_NE(again.port(), 0) << again.error();
  EXPECT_EQ(limit_through(again.address(), "k"), 3u) << again.log();
  auto r = testing::run_drl({"policy", "show", "--server", again.address(), "--json"});
  EXPECT_NE(r.out.find("\"version\":1"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace drl
