// The gossip codec: round trips, sealing, and hostile bytes (dropped and counted).
#include "membership/gossip_codec.h"

#include <gtest/gtest.h>

#include "common/random.h"
#include "membership/support/sim_cluster.h"

namespace drl::membership {
namespace {

ClusterKey key_of(uint8_t b) {
  ClusterKey k;
  k.fill(b);
  return k;
}

// A codec sealing under a ring of the one key filled with `b`.
std::shared_ptr<const Sealer> sealer_of(uint8_t b) {
  return std::make_shared<Sealer>(KeyRing{{key_of(b)}}, Sealer::NoncePrefix{b});
}

Message sample() {
  Update u{"node-1", "10.0.0.1:7000", MemberState::kSuspect, 9, {}, "node-2"};
  u.meta.tags = {{"zone", "a"}};
  return Message{"node-2", "10.0.0.2:7000", PingReq{5, "node-1", "10.0.0.1:7000"}, {u}};
}

TEST(GossipCodec, RoundTripsEveryBody) {
  GossipCodec codec(sealer_of(1));
  Update u;
  u.id = "m";
  u.address = "m:1";
  u.state = MemberState::kLeft;
  u.incarnation = 3;
  u.from = "m";
  const std::vector<Body> bodies = {Ping{1, "t"}, PingReq{2, "t", "t:1"},       Ack{3}, Nack{4},
                                    Gossip{},     PushPull{true, false, {u, u}}};
  for (const auto& body : bodies) {
    Message m{"s", "s:1", body, {u}};
    auto result = codec.decode(codec.encode(m, 1400), 1400);
    ASSERT_TRUE(result.message.has_value());
    EXPECT_EQ(result.message->body.index(), body.index());
    EXPECT_EQ(result.message->sender_id, "s");
    ASSERT_EQ(result.message->updates.size(), 1u);
    EXPECT_EQ(result.message->updates[0].state, MemberState::kLeft);
    EXPECT_EQ(result.message->updates[0].incarnation, 3u);
  }
  const auto decoded = codec.decode(codec.encode(sample(), 1400), 1400).message;
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(std::get<PingReq>(decoded->body).target_address, "10.0.0.1:7000");
  EXPECT_EQ(decoded->updates[0].meta.tags.at("zone"), "a");
  EXPECT_EQ(decoded->updates[0].from, "node-2");
}

TEST(GossipCodec, ForgedOrMismatchedPacketsAreDroppedAndCounted) {
  GossipCodec ours(sealer_of(1));
  GossipCodec forger(sealer_of(2));
  GossipCodec plain(nullptr);
  EXPECT_EQ(ours.decode(forger.encode(sample(), 1400), 1400).error, DecodeError::kAuthFailed);
  EXPECT_EQ(ours.decode(plain.encode(sample(), 1400), 1400).error, DecodeError::kAuthFailed);
  EXPECT_EQ(plain.decode(ours.encode(sample(), 1400), 1400).error, DecodeError::kAuthFailed);
  // A valid packet with one flipped bit fails authentication.
  std::string bytes = ours.encode(sample(), 1400);
  bytes[bytes.size() / 2] ^= 0x04;
  EXPECT_EQ(ours.decode(bytes, 1400).error, DecodeError::kAuthFailed);
  EXPECT_EQ(ours.stats().dropped_auth_failed, 3u);
  EXPECT_EQ(plain.stats().dropped_auth_failed, 1u);
  EXPECT_EQ(ours.decode(std::string(2000, 'x'), 1400).error, DecodeError::kTooLarge);
  EXPECT_EQ(ours.stats().dropped_too_large, 1u);
}

TEST(GossipCodec, GarbageNeverCrashesAndIsCounted) {
  const uint64_t seed = sim::test_seed(99);
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random random(seed);
  GossipCodec keyed(sealer_of(1));
  GossipCodec plain(nullptr);
  const std::string valid = plain.encode(sample(), 1400);
  uint64_t accepted = 0;
  const int rounds = 20000;
  for (int i = 0; i < rounds; ++i) {
    std::string bytes;
    if (i % 2 == 0) {  // random bytes with a plausible format byte
      bytes.resize(random.below(200));
      for (auto& c : bytes) c = static_cast<char>(random());
      if (!bytes.empty()) bytes[0] = static_cast<char>(i % 4 == 0 ? kPlainFormat : kSealedFormat);
    } else {  // a valid packet, mutated or truncated
      bytes = valid;
      for (int k = 0; k < 3; ++k) bytes[random.below(bytes.size())] = static_cast<char>(random());
      bytes.resize(random.below(bytes.size() + 1));
    }
    accepted += plain.decode(bytes, 1400).message.has_value();
    EXPECT_FALSE(keyed.decode(bytes, 1400).message.has_value());
  }
  const CodecStats s = plain.stats();
  EXPECT_EQ(s.decoded, accepted);
  EXPECT_EQ(s.decoded + s.dropped_malformed + s.dropped_unknown_format + s.dropped_auth_failed,
            static_cast<uint64_t>(rounds));
  const CodecStats k = keyed.stats();
  EXPECT_EQ(k.dropped_malformed + k.dropped_unknown_format + k.dropped_auth_failed,
            static_cast<uint64_t>(rounds));
}

TEST(GossipCodec, TrimsPiggyBackToFitAndRefusesWhatCannotFit) {
  GossipCodec codec(sealer_of(1));
  Message m = sample();
  for (int i = 0; i < 100; ++i) m.updates.push_back(m.updates[0]);
  const std::string bytes = codec.encode(m, 600);
  EXPECT_LE(bytes.size(), 600u);
  EXPECT_GT(codec.stats().updates_trimmed, 0u);
  ASSERT_TRUE(codec.decode(bytes, 600).message.has_value());
  EXPECT_TRUE(codec.encode(m, 20).empty());
}

TEST(GossipCodec, SealedClusterConvergesInTheSimulator) {
  sim::SimOptions o;
  o.nodes = 8;
  o.seed = sim::test_seed(3);
  o.through_codec = true;
  o.sealer = sealer_of(7);
  sim::SimCluster cluster(o);
  cluster.start_all();
  EXPECT_TRUE(cluster.run_until([&] { return cluster.all_agree(); }, 30 * kSecond))
      << "seed " << o.seed;
}

}  // namespace
}  // namespace drl::membership
