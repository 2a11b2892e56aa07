// The smart client (ClientOptions::route_to_owner) against real nodes: checks go straight to
// their key's owner (no node forwards them), and a killed node's keys still get answers.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "client/owner_router.h"
#include "common/key_hash.h"
#include "drl/client.h"
#include "integration/support/cluster_support.h"
#include "ring/ring.h"
#include "service/wire_convert.h"

namespace drl {
namespace {

using testing::eventually;
using testing::LocalCluster;

CheckSpec fixed(std::string key, uint64_t limit) {
  CheckSpec s;
  s.key = std::move(key);
  s.limit = InlineLimit{Algorithm::kFixedWindow, limit, std::chrono::minutes(10), 0};
  return s;
}

// The ring the nodes route by, built by the test from a node's status; empty if the
// status's members do not give the epoch the node reports.
ring::Ring ring_of(const std::string& address) {
  wire::StatusResponse s;
  if (!testing::fetch_status(address, s)) return {};
  std::vector<ring::Member> live;
  for (const auto& m : s.members()) {
    if (m.state() == "alive" || m.state() == "suspect") live.push_back({m.id(), m.address()});
  }
  ring::Ring r(std::move(live));
  return r.epoch() == s.ring_epoch() ? r : ring::Ring{};
}

std::string owner_of(const ring::Ring& r, const CheckSpec& spec) {
  wire::Check c;
  c.set_key(spec.key);
  c.set_cost(spec.cost);
  auto* l = c.mutable_limit();
  l->set_algorithm(static_cast<wire::Algorithm>(spec.limit->algorithm));
  l->set_limit(spec.limit->limit);
  l->set_window_ms(static_cast<uint64_t>(spec.limit->window.count()));
  service::CheckCall call;
  service::decode_check(c, call);
  std::string key;
  client::placement_key(call, key);
  return r.member(r.owner(key_hash(key))).id;
}

uint64_t forwarded_total(const std::vector<std::string>& addresses) {
  uint64_t n = 0;
  for (const auto& a : addresses) {
    wire::StatusResponse s;
    if (testing::fetch_status(a, s)) n += s.forwarded();
  }
  return n;
}

TEST(SmartClient, ChecksGoStraightToTheOwner) {
  LocalCluster c(3);
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(20)));
  const auto addresses = c.addresses();
  ring::Ring ring;
  ASSERT_TRUE(eventually([&] { return !(ring = ring_of(addresses[0])).empty(); }));
  ASSERT_EQ(ring.size(), 3u);
  std::vector<CheckSpec> specs;
  for (int k = 0; k < 60; ++k) specs.push_back(fixed("smart:" + std::to_string(k), 1000));
  Client client(ClientOptions{.nodes = {addresses[0]}, .route_to_owner = true});
  // The first batch goes through the node (the client has no view yet) and fetches it.
  ASSERT_TRUE(eventually([&] {
    auto results = client.check(specs);
    for (size_t i = 0; i < specs.size(); ++i) {
      if (results[i].code != ResultCode::kOk || results[i].decided_by != owner_of(ring, specs[i]))
        return false;
    }
    return true;
  }));
  const uint64_t forwarded_before = forwarded_total(addresses);
  for (int round = 0; round < 5; ++round) {
    auto results = client.check(specs);
    for (size_t i = 0; i < specs.size(); ++i) {
      ASSERT_EQ(results[i].code, ResultCode::kOk) << results[i].message;
      EXPECT_EQ(results[i].decided_by, owner_of(ring, specs[i])) << specs[i].key;
      EXPECT_TRUE(results[i].allowed);
    }
  }
  // 300 checks, a third of them owned by each node: none was forwarded.
  EXPECT_EQ(forwarded_total(addresses), forwarded_before);
}

TEST(SmartClient, AKilledNodesKeysStillGetAnswers) {
  LocalCluster c(3);
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(20)));
  const auto addresses = c.addresses();
  ring::Ring ring;
  ASSERT_TRUE(eventually([&] { return !(ring = ring_of(addresses[0])).empty(); }));
  std::vector<CheckSpec> specs;
  for (int k = 0; k < 60; ++k) specs.push_back(fixed("kill:" + std::to_string(k), 1000));
  ClientOptions o{.nodes = addresses, .route_to_owner = true};
  o.request_timeout = std::chrono::seconds(5);
  Client client(o);
  ASSERT_TRUE(eventually([&] {
    auto results = client.check(specs);
    for (size_t i = 0; i < specs.size(); ++i) {
      if (results[i].decided_by != owner_of(ring, specs[i])) return false;
    }
    return true;
  }));
  const std::string dead = c.id(2);
  size_t owned_by_dead = 0;
  for (const auto& s : specs) owned_by_dead += owner_of(ring, s) == dead;
  ASSERT_GT(owned_by_dead, 0u);
  c.kill(2);
  // Right after the kill (no view has changed yet) and later: every check is answered, by a
  // live node; the dead owner's keys by the fallback node, which fails over to a replica.
  for (int round = 0; round < 3; ++round) {
    auto results = client.check(specs);
    for (size_t i = 0; i < specs.size(); ++i) {
      ASSERT_EQ(results[i].code, ResultCode::kOk) << round << " " << results[i].message;
      EXPECT_NE(results[i].decided_by, dead);
      EXPECT_TRUE(results[i].allowed);
    }
  }
}

}  // namespace
}  // namespace drl
