// `drl status --cluster`'s view: the union of the answering nodes' member lists, each member's
// highest-incarnation state, and the agreement line.
#include "cli/cluster_view.h"

#include <gtest/gtest.h>

namespace drl::cli {
namespace {

NodeStatus status(const std::string& id, uint64_t epoch, uint64_t policy,
                  std::vector<std::pair<std::string, std::string>> members) {
  NodeStatus s;
  s.node_id = id;
  s.listen = id + ":7000";
  s.ring_epoch = epoch;
  s.policy_hash = policy;
  for (const auto& [mid, state] : members) {
    s.members.push_back(MemberStatus{mid, mid + ":7000", state, 0});
  }
  return s;
}

const MemberRow* row(const ClusterView& v, const std::string& id) {
  for (const auto& m : v.members) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

TEST(ClusterView, AgreeingNodesSayYesWithTheEpochInHex) {
  const uint64_t epoch = 0x9787b9aaa41a1412;  // above 2^53
  std::map<std::string, NodeStatus> first;
  for (const char* id : {"n1", "n2", "n3"}) {
    first[id] = status(id, epoch, 7, {{"n1", "alive"}, {"n2", "alive"}, {"n3", "alive"}});
  }
  auto second = first;
  second["n1"].uptime_ms = 1000;
  second["n1"].checks = 50;
  const auto v = build_cluster_view(first, second);
  EXPECT_TRUE(v.agree) << v.agreement;
  EXPECT_EQ(v.agreement,
            "yes: all 3 alive members route by ring 9787b9aaa41a1412 and hold policy set "
            "0000000000000007 v0");
  ASSERT_NE(row(v, "n1"), nullptr);
  EXPECT_DOUBLE_EQ(row(v, "n1")->checks_per_second, 50.0);
  EXPECT_LT(row(v, "n2")->checks_per_second, 0);
}

TEST(ClusterView, ADeadMemberOneNodeForgotIsShownDeadEverywhere) {
  std::map<std::string, NodeStatus> first;
  first["n1"] = status("n1", 1, 7, {{"n1", "alive"}, {"n2", "alive"}, {"n4", "dead"}});
  first["n2"] = status("n2", 1, 7, {{"n1", "alive"}, {"n2", "alive"}});
  const auto v = build_cluster_view(first, {});
  ASSERT_EQ(v.members.size(), 3u);
  ASSERT_NE(row(v, "n4"), nullptr);
  EXPECT_EQ(row(v, "n4")->state, "dead");
  EXPECT_EQ(row(v, "n4")->known_by, 1u);
  EXPECT_TRUE(v.agree) << v.agreement;  // the dead member is not asked to agree
}

TEST(ClusterView, HigherIncarnationWinsThenSwimPrecedence) {
  std::map<std::string, NodeStatus> first;
  first["n1"] = status("n1", 1, 7, {{"n1", "alive"}, {"n3", "suspect"}});
  first["n2"] = status("n2", 1, 7, {{"n2", "alive"}, {"n3", "dead"}});
  auto v = build_cluster_view(first, {});
  EXPECT_EQ(row(v, "n3")->state, "dead");
  first["n1"].members[1].incarnation = 2;  // n3 refuted: alive again, newer
  first["n1"].members[1].state = "alive";
  v = build_cluster_view(first, {});
  EXPECT_EQ(row(v, "n3")->state, "alive");
  EXPECT_FALSE(v.agree);
  EXPECT_NE(v.agreement.find("alive but not answering: n3"), std::string::npos) << v.agreement;
}

TEST(ClusterView, DisagreementNamesWhoHoldsWhat) {
  std::map<std::string, NodeStatus> first;
  const std::vector<std::pair<std::string, std::string>> all = {
      {"n1", "alive"}, {"n2", "alive"}, {"n3", "alive"}};
  first["n1"] = status("n1", 1, 7, all);
  first["n2"] = status("n2", 1, 7, all);
  first["n3"] = status("n3", 2, 8, all);
  const auto v = build_cluster_view(first, {});
  EXPECT_FALSE(v.agree);
  EXPECT_EQ(v.agreement,
            "NO: ring epochs differ (n1,n2 0000000000000001; n3 0000000000000002); policy sets "
            "differ (n1,n2 0000000000000007 v0; n3 0000000000000008 v0)");
  // One hash at two versions is not one set: a node has not taken the cluster's push.
  first["n3"] = status("n3", 1, 7, all);
  first["n3"].policy_version = 2;
  const auto w = build_cluster_view(first, {});
  EXPECT_FALSE(w.agree);
  EXPECT_EQ(w.agreement,
            "NO: policy sets differ (n1,n2 0000000000000007 v0; n3 0000000000000007 v2)");
}

}  // namespace
}  // namespace drl::cli
