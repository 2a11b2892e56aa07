// `drl status --cluster` on real nodes: every member with its ring share and policy set, one
// line saying whether they agree; a node given another policy file is named. Epochs and hashes
// are JSON strings (they exceed 2^53).
#include <gtest/gtest.h>

#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;

TEST(StatusCluster, ShowsEveryMemberAndWhetherTheyAgree) {
  testing::TempFile a("policies:\n  p:\n    limit: 2\n    window: 1m\n");
  testing::TempFile b("policies:\n  p:\n    limit: 200\n    window: 1m\n");
  testing::LocalCluster c(2, {"--policies", a.path()});
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(20)));
  testing::CommandResult r;
  ASSERT_TRUE(eventually(
      [&] {
        r = testing::run_drl({"status", "--server", c.node(1).address(), "--cluster"});
        return r.out.find("agreement  yes: all 2 alive members") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << r.out;
  EXPECT_NE(r.out.find("n1 "), std::string::npos) << r.out;
  const auto json = testing::run_drl({"status", "--server", c.node(0).address(), "--json"});
  EXPECT_NE(json.out.find("\"ring_epoch\":\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"policy_hash\":\""), std::string::npos) << json.out;

  testing::NodeProcess n3({"--id", "n3", "--join", c.node(0).address(), "--policies", b.path()});
  ASSERT_NE(n3.port(), 0) << n3.error();
  ASSERT_TRUE(eventually(
      [&] {
        r = testing::run_drl({"status", "--server", c.node(0).address(), "--cluster", "--json"});
        return r.out.find("policy sets differ (n1,n2 ") != std::string::npos &&
               r.out.find("; n3 ") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << r.out;
  EXPECT_NE(r.out.find("\"agree\":false"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace drl
