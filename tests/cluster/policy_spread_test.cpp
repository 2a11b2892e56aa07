// The cluster's one policy set (cluster/policy_spread.h), simulated: nodes exchange their
// peer messages through the real peer codec, in memory, with simulated time. Every node
// converges on the newest set; a bad set is refused at the pushing node and never spreads; a
// forged or unparsable offer is refused by its receiver; a joining or restarted node takes
// the cluster's set; two pushes at once end on one set everywhere; an RLS document spreads
// with the set and a bad one is refused everywhere.
#include "cluster/policy_spread.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cluster/peer_codec.h"

namespace drl::cluster {
namespace {

std::string policies(int limit) {
  return "policies:\n  api:\n    algorithm: token_bucket\n    limit: " + std::to_string(limit) +
         "\n    window: 1m\n";
}

class PolicySim {
 public:
  // Nodes n1..nN, each with its own file at version 0 (`limit` of its api policy).
  explicit PolicySim(int n, int limit = 100) {
    for (int i = 1; i <= n; ++i) add("n" + std::to_string(i), limit);
    view();
  }

  void add(const std::string& id, int limit) {
    PolicyOffer initial;
    initial.yaml = policies(limit);
    initial.hash = limits::parse_policies(initial.yaml).content_hash;
    PolicySpreadOptions options;
    // The RLS parser stands in as: a document containing "bad" is refused.
    options.check_rls = [](std::string_view rls, std::string_view source) {
      return rls.find("bad") == std::string_view::npos ? std::string()
                                                       : std::string(source) + ": bad domain";
    };
    nodes_[id] = std::make_unique<PolicySpread>(id, initial, options);
    installed_[id] = 0;
  }
  void remove(const std::string& id) { nodes_.erase(id); }
  // Every node sees every node.
  void view() {
    std::vector<std::string> ids;
    for (auto& [id, n] : nodes_) ids.push_back(id);
    for (auto& [id, n] : nodes_) n->set_members(ids, now_);
  }
  PolicySpread& node(const std::string& id) { return *nodes_.at(id); }

  // Delivers every message (through the codec) until none is left, dropping those for a
  // member in `cut` (its links are down), ticking every 100 ms for `duration`.
  void run(Nanos duration) {
    const TimePoint end = now_ + duration;
    while (true) {
      deliver();
      if (now_ >= end) break;
      now_ += 100 * kMillisecond;
      for (auto& [id, n] : nodes_) n->tick(now_);
    }
  }
  std::set<std::string> cut;

  std::set<std::pair<uint64_t, uint64_t>> distinct_sets() const {
    std::set<std::pair<uint64_t, uint64_t>> out;
    for (auto& [id, n] : nodes_) out.insert({n->current().version, n->current().hash});
    return out;
  }
  int installs(const std::string& id) const { return installed_.at(id); }
  std::vector<std::string> refusals;
  TimePoint now_ = kSecond;

 private:
  void deliver() {
    for (int round = 0; round < 1000; ++round) {
      bool any = false;
      for (auto& [id, n] : nodes_) {
        for (auto& e : n->take_events()) {
          if (e.kind == PolicyEvent::Kind::kInstalled) {
            ++installed_[id];
          } else {
            refusals.push_back(id + ": " + e.reason);
          }
        }
        for (auto& out : n->take_outgoing()) {
          any = true;
          if (cut.count(id) || cut.count(out.to) || !nodes_.count(out.to)) continue;
          PeerMessage decoded;
          ASSERT_EQ(decode_peer_message(encode_peer_message(out.message), decoded), "");
          auto& to = *nodes_.at(out.to);
          if (const auto* d = std::get_if<PolicyDigest>(&decoded)) to.receive(id, *d, now_);
          if (const auto* o = std::get_if<PolicyOffer>(&decoded)) to.receive(id, *o, now_);
        }
      }
      if (!any) return;
    }
    FAIL() << "messages never stopped";
  }

  std::map<std::string, std::unique_ptr<PolicySpread>> nodes_;
  std::map<std::string, int> installed_;
};

TEST(PolicySpreadTest, APushReachesEveryNodeAtOnce) {
  PolicySim sim(3);
  PolicyDigest d;
  ASSERT_EQ(sim.node("n2").push(policies(2), "", sim.now_, d), "");
  EXPECT_EQ(d.version, 1u);
  sim.run(0);  // no tick: the push's own offers suffice
  ASSERT_EQ(sim.distinct_sets().size(), 1u);
  for (const char* id : {"n1", "n2", "n3"}) {
    EXPECT_EQ(sim.node(id).current().version, 1u) << id;
    EXPECT_EQ(sim.node(id).current().yaml, policies(2)) << id;
    EXPECT_EQ(sim.node(id).current().origin, "n2") << id;
    EXPECT_EQ(sim.installs(id), 1) << id;
  }
  // The same text again changes nothing; another text is version 2 everywhere.
  ASSERT_EQ(sim.node("n3").push(policies(2), "", sim.now_, d), "");
  EXPECT_EQ(d.version, 1u);
  ASSERT_EQ(sim.node("n3").push(policies(3), "", sim.now_, d), "");
  sim.run(0);
  EXPECT_EQ(sim.distinct_sets(), (std::set<std::pair<uint64_t, uint64_t>>{{2, d.hash}}));
}

TEST(PolicySpreadTest, ABadSetIsRefusedAtThePushingNodeAndNeverSpreads) {
  PolicySim sim(3);
  PolicyDigest d;
  const std::string err = sim.node("n1").push("policies:\n  api:\n    limit: 0\n", "", sim.now_, d);
  EXPECT_NE(err, "");
  EXPECT_NE(err.find("the pushed policies"), std::string::npos) << err;
  EXPECT_NE(sim.node("n1").push("policies: [unclosed", "", sim.now_, d), "");
  sim.run(3 * kSecond);
  for (const char* id : {"n1", "n2", "n3"}) {
    EXPECT_EQ(sim.node(id).current().version, 0u) << id;
    EXPECT_EQ(sim.installs(id), 0) << id;
  }
}

TEST(PolicySpreadTest, AnOfferThatDoesNotParseOrMatchItsHashIsRefusedOnce) {
  PolicySim sim(2);
  PolicyOffer bad{5, 77, "policies: [unclosed", "n9"};
  sim.node("n1").receive("n9", bad, sim.now_);
  PolicyOffer forged{6, 12345, policies(1), "n9"};  // text fine, hash not its own
  sim.node("n1").receive("n9", forged, sim.now_);
  sim.node("n1").receive("n9", forged, sim.now_);  // remembered: not parsed or logged again
  sim.run(2 * kSecond);
  EXPECT_EQ(sim.node("n1").current().version, 0u);
  ASSERT_EQ(sim.refusals.size(), 2u);
  EXPECT_NE(sim.refusals[1].find("do not match their hash"), std::string::npos);
  // A refused set is not asked for when a digest names it.
  sim.node("n1").receive("n2", PolicyDigest{6, 12345}, sim.now_);
  EXPECT_TRUE(sim.node("n1").take_outgoing().empty());
}

TEST(PolicySpreadTest, AJoiningNodeTakesTheClustersSet) {
  PolicySim sim(3);
  PolicyDigest d;
  ASSERT_EQ(sim.node("n1").push(policies(7), "", sim.now_, d), "");
  sim.run(0);
  sim.add("n4", 100);  // its own file says 100, at version 0
  sim.view();
  sim.run(0);
  EXPECT_EQ(sim.node("n4").current().version, 1u);
  EXPECT_EQ(sim.node("n4").current().yaml, policies(7));
}

TEST(PolicySpreadTest, ANodeThatMissedThePushCatchesUpByDigest) {
  PolicySim sim(3);
  sim.cut = {"n3"};
  PolicyDigest d;
  ASSERT_EQ(sim.node("n1").push(policies(9), "", sim.now_, d), "");
  sim.run(kSecond);
  EXPECT_EQ(sim.node("n3").current().version, 0u);
  sim.cut.clear();  // the link heals; no view change, only the periodic digests
  sim.run(1500 * kMillisecond);
  EXPECT_EQ(sim.distinct_sets().size(), 1u);
  EXPECT_EQ(sim.node("n3").current().yaml, policies(9));
  // A restarted node (a fresh core, its file at version 0) takes the set back.
  sim.remove("n2");
  sim.view();
  sim.add("n2", 100);
  sim.view();
  sim.run(0);
  EXPECT_EQ(sim.node("n2").current().version, 1u);
}

TEST(PolicySpreadTest, TwoPushesAtOnceEndOnOneSetEverywhere) {
  PolicySim sim(4);
  sim.cut = {"n1", "n4"};  // the two pushes cannot see each other's offers
  PolicyDigest a, b;
  ASSERT_EQ(sim.node("n1").push(policies(1), "", sim.now_, a), "");
  ASSERT_EQ(sim.node("n4").push(policies(4), "", sim.now_, b), "");
  EXPECT_EQ(a.version, b.version);
  sim.run(0);
  sim.cut.clear();
  sim.run(2 * kSecond);
  const auto sets = sim.distinct_sets();
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets.begin()->second, std::max(a.hash, b.hash));  // the higher hash wins the tie
  // A later push beats both.
  PolicyDigest c;
  ASSERT_EQ(sim.node("n2").push(policies(20), "", sim.now_, c), "");
  EXPECT_EQ(c.version, 2u);
  sim.run(0);
  EXPECT_EQ(sim.distinct_sets(), (std::set<std::pair<uint64_t, uint64_t>>{{2, c.hash}}));
}

TEST(PolicySpreadTest, AnRlsConfigSpreadsWithTheSetAndIsPartOfItsHash) {
  PolicySim sim(3);
  PolicyDigest plain, with_rls, other_rls;
  ASSERT_EQ(sim.node("n1").push(policies(2), "", sim.now_, plain), "");
  sim.run(0);
  ASSERT_EQ(sim.node("n2").push(policies(2), "domain: a\n", sim.now_, with_rls), "");
  EXPECT_EQ(with_rls.version, 2u);  // the same policies with an RLS document: another set
  EXPECT_NE(with_rls.hash, plain.hash);
  EXPECT_EQ(plain.hash, limits::parse_policies(policies(2)).content_hash);  // as older builds
  sim.run(0);
  EXPECT_EQ(sim.distinct_sets(), (std::set<std::pair<uint64_t, uint64_t>>{{2, with_rls.hash}}));
  for (const char* id : {"n1", "n2", "n3"}) {
    EXPECT_EQ(sim.node(id).current().rls, "domain: a\n") << id;
  }
  ASSERT_EQ(sim.node("n3").push(policies(2), "domain: b\n", sim.now_, other_rls), "");
  EXPECT_EQ(other_rls.version, 3u);
  sim.run(0);
  EXPECT_EQ(sim.node("n1").current().rls, "domain: b\n");
}

TEST(PolicySpreadTest, ABadRlsConfigIsRefusedAtThePushAndByEveryReceiver) {
  PolicySim sim(2);
  PolicyDigest d;
  const std::string err = sim.node("n1").push(policies(2), "domain: bad\n", sim.now_, d);
  EXPECT_NE(err.find("the pushed RLS config"), std::string::npos) << err;
  sim.run(2 * kSecond);
  EXPECT_EQ(sim.node("n1").current().version, 0u);  // nothing changed anywhere
  EXPECT_EQ(sim.node("n2").current().version, 0u);
  // An offer whose hash is right but whose RLS document the receiver refuses (a newer drl's
  // field, say): refused with the reason, the set kept.
  const std::string rls = "domain: bad\n";
  PolicyOffer offer{1, set_hash(limits::parse_policies(policies(3)).content_hash, rls), policies(3),
                    "n9", rls};
  sim.node("n1").receive("n9", offer, sim.now_);
  sim.run(0);
  EXPECT_EQ(sim.node("n1").current().version, 0u);
  ASSERT_EQ(sim.refusals.size(), 1u);
  EXPECT_NE(sim.refusals[0].find("the RLS config offered by n9: bad domain"), std::string::npos)
      << sim.refusals[0];
  // An older build skips the rls field: it sees policies whose hash is not the claimed one
  // and refuses the set, never serving it without its RLS document.
  offer.rls = "domain: a\n";
  offer.hash = set_hash(limits::parse_policies(policies(3)).content_hash, offer.rls);
  offer.rls.clear();
  sim.node("n2").receive("n9", offer, sim.now_);
  sim.run(0);
  EXPECT_EQ(sim.node("n2").current().version, 0u);
  ASSERT_EQ(sim.refusals.size(), 2u);
  EXPECT_NE(sim.refusals[1].find("do not match their hash"), std::string::npos);
}

TEST(PolicySpreadTest, DigestsAndOffersRoundTripThroughTheCodec) {
  PeerMessage out;
  ASSERT_EQ(decode_peer_message(encode_peer_message(PolicyDigest{3, ~0ull}), out), "");
  EXPECT_EQ(std::get<PolicyDigest>(out).version, 3u);
  EXPECT_EQ(std::get<PolicyDigest>(out).hash, ~0ull);
  ASSERT_EQ(decode_peer_message(
                encode_peer_message(PolicyOffer{4, 5, policies(1), "n1", "domain: a"}), out),
            "");
  const auto& o = std::get<PolicyOffer>(out);
  EXPECT_EQ(o.version, 4u);
  EXPECT_EQ(o.hash, 5u);
  EXPECT_EQ(o.yaml, policies(1));
  EXPECT_EQ(o.origin, "n1");
  EXPECT_EQ(o.rls, "domain: a");
}

}  // namespace
}  // namespace drl::cluster
