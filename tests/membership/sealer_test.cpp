// The cluster key ring and the Sealer: parsing the key file, sealing under the primary,
// opening with any key of the ring (rotation), and refusing tampered or foreign bytes.
#include "membership/sealer.h"

#include <gtest/gtest.h>

#include <set>

namespace drl::membership {
namespace {

ClusterKey key_of(uint8_t b) {
  ClusterKey k;
  k.fill(b);
  return k;
}

std::string hex_line(uint8_t b) {
  static const char* digits = "0123456789abcdef";
  std::string line;
  for (size_t i = 0; i < kClusterKeyBytes; ++i) {
    line += digits[b >> 4];
    line += digits[b & 15];
  }
  return line;
}

std::string sealed(const Sealer& sealer, std::string_view header, std::string_view plain) {
  std::string out;
  sealer.seal(header, plain, out);
  return out;
}

std::optional<std::string> opened(const Sealer& sealer, std::string_view header,
                                  std::string bytes) {
  const auto plain = sealer.open(header, bytes);
  if (!plain) return std::nullopt;
  return std::string(*plain);
}

TEST(KeyRing, ParsesOneKeyPerLineWithThePrimaryFirst) {
  const auto ring =
      parse_key_ring("# rotated 2026-12\n" + hex_line(0xbb) + "\n\n  " + hex_line(0xaa) + "  \n");
  ASSERT_TRUE(ring) << ring.status().message();
  ASSERT_EQ(ring->keys.size(), 2u);
  EXPECT_EQ(ring->primary(), key_of(0xbb));
  EXPECT_EQ(ring->keys[1], key_of(0xaa));
  // The file format of before the ring: one hex key, or 32 raw bytes.
  EXPECT_EQ(parse_key_ring(hex_line(0x11))->keys.size(), 1u);
  const auto raw = parse_key_ring(std::string(32, 'k'));
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->primary()[0], 'k');
}

TEST(KeyRing, RefusesBadFilesNamingTheLine) {
  for (const std::string& bad :
       {std::string(""), std::string("# only a comment\n"), std::string("short"),
        std::string(63, 'a') + "g", hex_line(1) + "\n" + hex_line(1),
        hex_line(1) + "\n" + hex_line(2) + "x"}) {
    const auto ring = parse_key_ring(bad);
    EXPECT_FALSE(ring) << bad;
    EXPECT_EQ(ring.status().code(), ResultCode::kInvalidArgument);
    EXPECT_NE(ring.status().message().find("64 hex digits"), std::string::npos);
  }
  EXPECT_NE(parse_key_ring(hex_line(1) + "\n" + hex_line(1)).status().message().find("line 2"),
            std::string::npos);
  std::string nine;
  for (uint8_t i = 1; i <= kMaxRingKeys + 1; ++i) nine += hex_line(i) + "\n";
  EXPECT_FALSE(parse_key_ring(nine));
}

TEST(KeyRing, FingerprintsAreShortStableAndDistinct) {
  EXPECT_EQ(key_fingerprint(key_of(1)).size(), 8u);
  EXPECT_EQ(key_fingerprint(key_of(1)), key_fingerprint(key_of(1)));
  EXPECT_NE(key_fingerprint(key_of(1)), key_fingerprint(key_of(2)));
}

TEST(Sealer, RoundTripsAndHidesThePlaintext) {
  Sealer sealer(KeyRing{{key_of(1)}}, Sealer::NoncePrefix{7});
  const std::string plain = "member n2 is alive at 10.0.0.2:7000";
  const std::string bytes = sealed(sealer, "H", plain);
  EXPECT_EQ(bytes.size(), plain.size() + Sealer::kOverhead);
  EXPECT_EQ(bytes.find("10.0.0.2"), std::string::npos);
  EXPECT_EQ(opened(sealer, "H", bytes), plain);
  EXPECT_EQ(opened(sealer, "H", sealed(sealer, "H", "")), "");
}

TEST(Sealer, EverySealHasItsOwnNonce) {
  Sealer sealer(KeyRing{{key_of(1)}}, Sealer::NoncePrefix{7});
  std::set<std::string> nonces;
  for (int i = 0; i < 1000; ++i) {
    nonces.insert(sealed(sealer, "", "same").substr(0, Sealer::kNonceBytes));
  }
  EXPECT_EQ(nonces.size(), 1000u);
}

TEST(Sealer, RefusesTamperedTruncatedForeignOrRelabelledBytes) {
  Sealer ours(KeyRing{{key_of(1)}}, Sealer::NoncePrefix{1});
  Sealer theirs(KeyRing{{key_of(2)}}, Sealer::NoncePrefix{2});
  const std::string bytes = sealed(ours, "H", "payload");
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(opened(ours, "H", flipped)) << "bit flipped at " << i;
  }
  EXPECT_FALSE(opened(ours, "H", bytes.substr(0, bytes.size() - 1)));
  EXPECT_FALSE(opened(ours, "H", bytes.substr(0, Sealer::kOverhead - 1)));
  EXPECT_FALSE(opened(ours, "G", bytes)) << "the header is authenticated";
  EXPECT_FALSE(opened(theirs, "H", bytes));
}

// The rotation procedure of docs/operations.md, one node after another: at every step any two
// nodes open each other's bytes.
TEST(Sealer, RotationKeepsEveryPairOfNodesTalking) {
  const KeyRing old_only{{key_of(1)}}, old_primary{{key_of(1), key_of(2)}},
      new_primary{{key_of(2), key_of(1)}}, new_only{{key_of(2)}};
  std::vector<std::unique_ptr<Sealer>> nodes;
  for (uint8_t i = 0; i < 3; ++i) {
    nodes.push_back(std::make_unique<Sealer>(old_only, Sealer::NoncePrefix{i}));
  }
  auto all_talk = [&] {
    for (auto& from : nodes) {
      for (auto& to : nodes) {
        if (opened(*to, "", sealed(*from, "", "hi")) != "hi") return false;
      }
    }
    return true;
  };
  for (const KeyRing* step : {&old_primary, &new_primary, &new_only}) {
    for (auto& node : nodes) {
      node->set_ring(*step);
      EXPECT_TRUE(all_talk());
    }
  }
  // Skipping the middle step would have cut a node off: new primary beside old-only.
  nodes[0]->set_ring(old_only);
  EXPECT_FALSE(all_talk());
}

}  // namespace
}  // namespace drl::membership
