// Issue 18's "Done when", on real processes operated only through the CLI: five `drl node`
// processes on one policy file; `drl policy push` of a new file once, through one node, and
// every node's `drl status --cluster` says all five agree on that one version within
// seconds (polled); a node killed with SIGKILL is then named dead in every survivor's JSON
// log (`member_dead`), in every survivor's metrics (`drl_members{state="dead"}`) and in
// `drl status --cluster`. The alerts' `promtool test rules` tests are
// scripts/check_monitoring.sh's.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <sstream>

#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;

std::string policies(int limit) {
  return "policies:\n  api:\n    limit: " + std::to_string(limit) + "\n    window: 1h\n";
}

// The line of `id` in a `drl status --cluster` table ("" if none).
std::string member_line(const std::string& table, const std::string& id) {
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(id + " ", 0) == 0) return line;
  }
  return "";
}

TEST(OperatorAcceptance, FiveNodesOperatedThroughTheCli) {
  testing::TempFile file(policies(200));
  testing::TempFile pushed(policies(2));
  testing::LocalCluster c(
      5, {"--policies", file.path(), "--metrics", "127.0.0.1:0", "--log-format", "json"});
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(30)));

  // One push, through n3.
  const auto pushed_at = std::chrono::steady_clock::now();
  auto r = testing::run_drl_with_errors(
      {"policy", "push", pushed.path(), "--server", c.node(2).address()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_NE(r.out.find("policy set version 1"), std::string::npos) << r.out;
  // Every node's view of the cluster: all five agree on version 1 (one hash).
  const std::string agreed = "agreement  yes: all 5 alive members";
  for (size_t i = 0; i < 5; ++i) {
    std::string out;
    EXPECT_TRUE(eventually(
        [&] {
          out = testing::run_drl({"status", "--cluster", "--server", c.node(i).address()}).out;
          return out.find(agreed) != std::string::npos && out.find(" v1") != std::string::npos;
        },
        std::chrono::seconds(15)))
        << c.id(i) << ":\n"
        << out;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - pushed_at).count();
  std::printf("push to every node's status showing v1 everywhere: %.2f s\n", seconds);

  // n5 is killed: dead by name in every survivor's log, metrics and status.
  std::vector<uint16_t> metrics;
  for (size_t i = 0; i < 4; ++i) {
    metrics.push_back(testing::metrics_port(c.node(i)));
    ASSERT_NE(metrics.back(), 0u) << c.node(i).log();
  }
  c.kill(4);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(eventually(
        [&] {
          return c.node(i).log().find(R"("event":"member_dead","peer":"n5")") != std::string::npos;
        },
        std::chrono::seconds(30)))
        << c.id(i) << ":\n"
        << c.node(i).log();
    EXPECT_TRUE(eventually(
        [&] {
          const auto page = testing::scrape(metrics[i]);
          return testing::metric(page, "drl_members{state=\"dead\"}") == 1.0 &&
                 testing::metric(page, "drl_members{state=\"alive\"}") == 4.0;
        },
        std::chrono::seconds(30)))
        << testing::scrape(metrics[i]);
  }
  r = testing::run_drl({"status", "--cluster", "--server", c.node(0).address()});
  EXPECT_NE(member_line(r.out, "n5").find(" dead "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("agreement  yes: all 4 alive members"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace drl
