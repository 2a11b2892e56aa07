// Events in real nodes' logs: a kill -9'd node is named dead in every survivor's log (as JSON
// fields), the ring change that follows is logged with its epoch in hex, and a node whose
// seed does not answer, or does not resolve, says so instead of silently running alone.
#include <gtest/gtest.h>

#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;

TEST(EventsLog, AKilledNodeIsNamedDeadInEverySurvivorsLog) {
  testing::LocalCluster c(3, {"--log-format", "json"});
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.converged(); }, std::chrono::seconds(20)));
  c.kill(2);
  for (size_t i : {0, 1}) {
    EXPECT_TRUE(eventually(
        [&] {
          const auto log = c.node(i).log();
          return log.find(R"("event":"member_dead","peer":"n3")") != std::string::npos;
        },
        std::chrono::seconds(30)))
        << "n" << i + 1 << "'s log:\n"
        << c.node(i).log();
    const auto log = c.node(i).log();
    EXPECT_NE(log.find(R"("node":"n)" + std::to_string(i + 1) + "\""), std::string::npos) << log;
    EXPECT_NE(log.find(R"("event":"member_joined","peer":"n3")"), std::string::npos) << log;
    EXPECT_NE(log.find(R"("event":"ring_changed","epoch":")"), std::string::npos) << log;
  }
}

TEST(EventsLog, SeedsThatCannotBeUsedAreNamed) {
  // A port nobody listens on: bound once to learn a free one, then closed.
  testing::NodeProcess probe;
  ASSERT_NE(probe.port(), 0) << probe.error();
  const std::string nothing_there = probe.address();
  probe.stop();
  testing::NodeProcess unreachable({"--join", nothing_there});
  ASSERT_NE(unreachable.port(), 0) << unreachable.error();
  testing::NodeProcess unresolvable({"--join", "nosuch.invalid:22000"});
  ASSERT_NE(unresolvable.port(), 0) << unresolvable.error();
  EXPECT_TRUE(eventually(
      [&] {
        return unreachable.log().find("seed_unreachable") != std::string::npos &&
               unreachable.log().find(nothing_there) != std::string::npos;
      },
      std::chrono::seconds(30)))
      << unreachable.log();
  EXPECT_TRUE(eventually(
      [&] {
        return unresolvable.log().find("seed_unresolvable") != std::string::npos &&
               unresolvable.log().find("nosuch.invalid:22000") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << unresolvable.log();
}

}  // namespace
}  // namespace drl
