// The test-only peer faults in real processes: a node told (AdminRequest, through
// `drl test-fault`) to drop all its peer traffic is declared dead by the others, and comes
// back once healed, and counts what it dropped (drl_test_fault_drops_total); a node started
// without --enable-test-hooks refuses the request.
#include <gtest/gtest.h>

#include <chrono>

#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;
using testing::LocalCluster;

// Sends `admin` to the node at `address`; the whole response (or an error text in `error`).
bool send_admin(const std::string& address, const wire::AdminRequest& admin, wire::Response& out,
                std::string& error) {
  wire::Request request;
  *request.mutable_admin() = admin;
  return testing::exchange(address, request, out, error);
}

// True when the node at `address` holds member `id` in one of `states`.
bool sees(const std::string& address, const std::string& id,
          std::initializer_list<const char*> states) {
  const auto all = testing::member_states(address);
  const auto it = all.find(id);
  if (it == all.end()) return false;
  for (const char* s : states) {
    if (it->second == s) return true;
  }
  return false;
}

TEST(PeerFault, ACutOffNodeIsDeclaredDeadAndReturnsWhenHealed) {
  LocalCluster c(3, {"--enable-test-hooks", "--metrics", "127.0.0.1:0"});
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.converged(); }, std::chrono::seconds(30)))
      << "the 3 nodes never all saw each other alive";
  const auto addresses = c.addresses();
  const uint16_t n1_metrics = testing::metrics_port(c.node(0));
  ASSERT_NE(n1_metrics, 0) << c.node(0).log();
  auto fault_drops = [](uint16_t port) {
    return testing::scrape_metric(port, "drl_test_fault_drops_total");
  };
  EXPECT_EQ(fault_drops(n1_metrics), 0) << "nothing dropped before a fault";

  // Cut n1 off: it drops every frame and packet to and from every peer.
  const auto cut = testing::run_drl({"test-fault", "--server", addresses[0], "--drop", "*"});
  ASSERT_EQ(cut.exit_code, 0) << cut.out;
  EXPECT_NE(cut.out.find("1 peer fault(s) in force"), std::string::npos) << cut.out;
  EXPECT_TRUE(eventually(
      [&] {
        return sees(addresses[1], "n1", {"suspect", "dead"});
      },
      std::chrono::seconds(30)))
      << "n2 never suspected the cut-off n1";
  ASSERT_TRUE(eventually(
      [&] { return sees(addresses[1], "n1", {"dead"}) && sees(addresses[2], "n1", {"dead"}); },
      std::chrono::seconds(60)))
      << "n2 and n3 never declared the cut-off n1 dead";
  // The two others still see each other: only n1's traffic was cut.
  EXPECT_TRUE(sees(addresses[1], "n3", {"alive"}));
  EXPECT_TRUE(sees(addresses[2], "n2", {"alive"}));
  // n1 counted its drops (the others' probes it ignored, its own it never sent); the others
  // have no fault and drop nothing on purpose.
  EXPECT_GT(fault_drops(n1_metrics), 0);
  const uint16_t n2_metrics = testing::metrics_port(c.node(1));
  ASSERT_NE(n2_metrics, 0) << c.node(1).log();
  EXPECT_EQ(fault_drops(n2_metrics), 0);

  const auto heal = testing::run_drl({"test-fault", "--server", addresses[0], "--heal"});
  ASSERT_EQ(heal.exit_code, 0) << heal.out;
  EXPECT_NE(heal.out.find("0 peer fault(s) in force"), std::string::npos) << heal.out;
  // Healed (the answer came after the faults were cleared): the count stays, and grows no more.
  const double dropped = fault_drops(n1_metrics);
  EXPECT_GT(dropped, 0) << "healing reset the count";
  EXPECT_TRUE(eventually([&] { return c.converged(); }, std::chrono::seconds(60)))
      << "after healing, n1 and the others never saw each other alive again";
  EXPECT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(60)))
      << "after healing, the nodes never agreed on one ring";
  EXPECT_EQ(fault_drops(n1_metrics), dropped) << "a healed node still dropped traffic";
}

TEST(PeerFault, ANodeWithoutTestHooksRefuses) {
  testing::NodeProcess node;
  ASSERT_NE(node.port(), 0) << node.error();
  wire::AdminRequest admin;
  auto* f = admin.add_faults();
  f->set_drop(true);
  wire::Response response;
  std::string error;
  ASSERT_TRUE(send_admin(node.address(), admin, response, error)) << error;
  ASSERT_TRUE(response.has_error()) << "the node accepted a test-only request";
  EXPECT_EQ(response.error().code(), wire::ADMIN_REFUSED);
  EXPECT_NE(response.error().message().find("--enable-test-hooks"), std::string::npos)
      << response.error().message();
  EXPECT_FALSE(response.error().closing()) << "a refusal is no reason to drop the client";
  // The CLI says so too, with exit code 2 (while a good request to a hooked node gives 0,
  // see the test above).
  EXPECT_EQ(testing::run_drl({"test-fault", "--server", node.address(), "--drop", "*"}).exit_code,
            2);
}

TEST(PeerFault, ABadFaultIsRefusedWithAReason) {
  testing::NodeProcess node({"--enable-test-hooks"});
  ASSERT_NE(node.port(), 0) << node.error();
  wire::AdminRequest admin;
  auto* f = admin.add_faults();
  f->set_peer("n2");
  f->set_delay_ms(3'600'000);
  wire::Response response;
  std::string error;
  ASSERT_TRUE(send_admin(node.address(), admin, response, error)) << error;
  ASSERT_TRUE(response.has_error());
  EXPECT_EQ(response.error().code(), wire::ADMIN_REFUSED);
  EXPECT_NE(response.error().message().find("delay"), std::string::npos)
      << response.error().message();
  // A good one is accepted on the same node.
  admin.mutable_faults(0)->set_delay_ms(20);
  ASSERT_TRUE(send_admin(node.address(), admin, response, error)) << error;
  ASSERT_TRUE(response.has_admin()) << response.DebugString();
  EXPECT_EQ(response.admin().faults_in_force(), 1u);
}

}  // namespace
}  // namespace drl
