// The metrics port of real nodes: build and process metrics, members by state (a killed node
// shows as dead in the survivors' metrics), ring share and epoch, and the health paths.
#include <gtest/gtest.h>

#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;

TEST(MetricsProcess, MembersByStateRingAndHealth) {
  testing::LocalCluster c(3, {"--metrics", "127.0.0.1:0"});
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(20)));
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < 3; ++i) {
    ports.push_back(testing::metrics_port(c.node(i)));
    ASSERT_NE(ports.back(), 0u) << c.node(i).log();
  }
  const std::string page = testing::scrape(ports[0]);
  for (const char* series :
       {"drl_build_info{version=\"", "process_cpu_seconds_total ", "process_resident_memory_bytes ",
        "process_open_fds ", "process_start_time_seconds ", "drl_ring_share ",
        "drl_ring_epoch_info{epoch=\"", "drl_replication_lag_seconds ", "drl_handoff_in_progress ",
        "drl_handoff_retries_total ", "drl_checks_received_total ",
        "drl_checks_decided_here_total "}) {
    EXPECT_NE(page.find(series), std::string::npos) << series << " missing from\n" << page;
  }
  EXPECT_EQ(testing::metric(page, "drl_members{state=\"alive\"}"), 3.0) << page;
  EXPECT_GT(testing::metric(page, "process_open_fds").value_or(0), 0.0);
  EXPECT_NE(testing::http_get(ports[0], "/healthz").find("200 OK"), std::string::npos);
  EXPECT_TRUE(eventually([&] {
    return testing::http_get(ports[0], "/readyz").find("200 OK") != std::string::npos;
  })) << testing::http_get(ports[0], "/readyz");
  const std::string other = testing::http_get(ports[0], "/");
  EXPECT_NE(other.find("404"), std::string::npos) << other;
  EXPECT_EQ(other.find("drl_keys"), std::string::npos) << other;

  c.kill(2);
  for (size_t i : {0, 1}) {
    EXPECT_TRUE(eventually(
        [&] {
          const auto p = testing::scrape(ports[i]);
          return testing::metric(p, "drl_members{state=\"dead\"}") == 1.0 &&
                 testing::metric(p, "drl_members{state=\"alive\"}") == 2.0;
        },
        std::chrono::seconds(30)))
        << testing::scrape(ports[i]);
  }
}

}  // namespace
}  // namespace drl
