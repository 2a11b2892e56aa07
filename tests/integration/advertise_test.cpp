// Nodes named by an address other than the one they bind (`--listen 0.0.0.0:P --advertise
// 127.0.0.2:P`; all of 127.0.0.0/8 reaches lo on Linux), found through a dns+ seed
// (`localhost`, from /etc/hosts), and a node restarted with its id at a new address: status,
// members, the ring and decided_by name the advertised address, and the restarted node is one
// member with a new incarnation, not two.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;

// The member `id` as the node at `address` sees it; empty id when absent or silent.
wire::StatusResponse::Member member_seen(const std::string& address, const std::string& id) {
  wire::StatusResponse s;
  if (!testing::fetch_status(address, s)) return {};
  for (const auto& m : s.members()) {
    if (m.id() == id) return m;
  }
  return {};
}

TEST(Advertise, TheAdvertisedAddressNamesTheNodeEverywhere) {
  const uint16_t base = testing::free_base_port(2);
  ASSERT_NE(base, 0);
  const std::string p = std::to_string(base), q = std::to_string(base + 1);
  const std::string advertised = "127.0.0.2:" + p;
  testing::NodeProcess a({"--advertise", advertised}, "0.0.0.0:" + p);
  ASSERT_NE(a.port(), 0) << a.error();
  // b finds a by name: localhost resolves (/etc/hosts) to an address a's wildcard accepts on.
  testing::NodeProcess b({"--id", "b", "--join", "dns+localhost:" + p}, "127.0.0.3:" + q);
  ASSERT_NE(b.port(), 0) << b.error();
  const std::string b_at = "127.0.0.3:" + q;
  ASSERT_TRUE(eventually(
      [&] {
        return member_seen(b_at, advertised).state() == "alive" &&
               member_seen(advertised, "b").state() == "alive" &&
               testing::same_ring({advertised, b_at});
      },
      std::chrono::seconds(30)))
      << "a:\n"
      << a.log() << "\nb:\n"
      << b.log();
  wire::StatusResponse s;
  ASSERT_TRUE(testing::fetch_status(advertised, s));
  EXPECT_EQ(s.node_id(), advertised);  // the id defaults to the advertised address
  EXPECT_EQ(s.listen(), advertised);
  EXPECT_EQ(s.bound(), "0.0.0.0:" + p);
  for (const auto& m : s.members()) EXPECT_NE(m.address().rfind("0.0.0.0", 0), 0u) << m.id();
  EXPECT_EQ(member_seen(b_at, advertised).address(), advertised);
  EXPECT_EQ(member_seen(advertised, "b").address(), b_at);
  // The ring a smart client routes by lists a at its advertised address.
  wire::Request ring_request;
  ring_request.set_id(1);
  ring_request.mutable_ring();
  wire::Response ring;
  std::string error;
  ASSERT_TRUE(testing::exchange(b_at, ring_request, ring, error)) << error;
  ASSERT_EQ(ring.ring().members_size(), 2);
  for (const auto& m : ring.ring().members()) {
    EXPECT_EQ(m.address(), m.id() == "b" ? b_at : advertised) << m.id();
  }
  const auto text = testing::run_drl({"status", "--server", advertised});
  EXPECT_NE(text.out.find("on " + advertised + " (bound to 0.0.0.0:" + p + ")"), std::string::npos)
      << text.out;
  // Checks sent to b for keys a owns come back decided_by a's advertised id.
  bool decided_by_a = false;
  for (int k = 0; k < 64 && !decided_by_a; ++k) {
    const auto r = testing::run_drl({"check", "--server", b_at, "adv:" + std::to_string(k),
                                     "--limit", "5", "--window", "1m", "--json"});
    ASSERT_NE(r.out.find("\"decided_by\""), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("0.0.0.0"), std::string::npos) << r.out;
    decided_by_a = r.out.find("\"decided_by\":\"" + advertised + "\"") != std::string::npos;
  }
  EXPECT_TRUE(decided_by_a);
  EXPECT_NE(b.log().find("seed_resolved"), std::string::npos) << b.log();
}

// Each command must exit at once; `timeout` ends one that would run a node instead.
testing::CommandResult refused(const std::string& args) {
  testing::CommandResult r;
  int status = 0;
  r.out = testing::shell("timeout 10 " + testing::drl_bin() + " node " + args + " 2>&1", &status);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(Advertise, AnUnusableAdvertisedAddressIsRefusedAtStart) {
  const auto wildcard = refused("--listen 127.0.0.1:0 --advertise 0.0.0.0:7000");
  EXPECT_EQ(wildcard.exit_code, 2);
  EXPECT_NE(wildcard.out.find("wildcard address names no machine"), std::string::npos)
      << wildcard.out;
  const auto no_advertise = refused("--listen 0.0.0.0:0");
  EXPECT_EQ(no_advertise.exit_code, 2);
  EXPECT_NE(no_advertise.out.find("add --advertise"), std::string::npos) << no_advertise.out;
  const auto other_port = refused("--listen 127.0.0.1:0 --advertise 127.0.0.2:7001");
  EXPECT_EQ(other_port.exit_code, 2);
  EXPECT_NE(other_port.out.find("fixed --listen port"), std::string::npos) << other_port.out;
  const auto bad_seed = refused("--listen 127.0.0.1:0 --join dns+:7000");
  EXPECT_EQ(bad_seed.exit_code, 2);
  EXPECT_NE(bad_seed.out.find("dns+NAME:PORT"), std::string::npos) << bad_seed.out;
}

TEST(Advertise, ARestartWithItsIdAtANewAddressIsOneMemberWithANewIncarnation) {
  const uint16_t base = testing::free_base_port(2);
  ASSERT_NE(base, 0);
  const std::string a_at = "127.0.0.1:" + std::to_string(base);
  const std::string old_at = "127.0.0.4:" + std::to_string(base + 1);
  const std::string new_at = "127.0.0.5:" + std::to_string(base + 1);
  testing::NodeProcess a({"--id", "a"}, a_at);
  ASSERT_NE(a.port(), 0) << a.error();
  auto b = std::make_unique<testing::NodeProcess>(
      std::vector<std::string>{"--id", "b", "--join", a_at}, old_at);
  ASSERT_NE(b->port(), 0) << b->error();
  ASSERT_TRUE(eventually([&] { return member_seen(a_at, "b").state() == "alive"; },
                         std::chrono::seconds(30)))
      << a.log();
  b->signal(SIGKILL);
  b = std::make_unique<testing::NodeProcess>(std::vector<std::string>{"--id", "b", "--join", a_at},
                                             new_at);
  ASSERT_NE(b->port(), 0) << b->error();
  EXPECT_TRUE(eventually(
      [&] {
        const auto m = member_seen(a_at, "b");
        return m.state() == "alive" && m.address() == new_at && m.incarnation() > 0 &&
               member_seen(new_at, "a").state() == "alive" && testing::same_ring({a_at, new_at});
      },
      std::chrono::seconds(30)))
      << a.log() << "\nb:\n"
      << b->log();
  wire::StatusResponse s;
  ASSERT_TRUE(testing::fetch_status(a_at, s));
  EXPECT_EQ(s.members_size(), 2);  // a and b, never b twice
}

}  // namespace
}  // namespace drl
