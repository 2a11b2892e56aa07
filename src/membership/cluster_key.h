// The cluster's keys (--cluster-key-file): a key ring. Gossip packets, sync frames and peer
// frames are sealed with the ring's primary key (the first) and opened with any key of the
// ring, so the key can be rotated node by node without a moment where two nodes cannot talk
// (docs/operations.md, "Rotating the cluster key").
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drl/status.h"

namespace drl::membership {

inline constexpr size_t kClusterKeyBytes = 32;
inline constexpr size_t kMaxRingKeys = 8;
using ClusterKey = std::array<uint8_t, kClusterKeyBytes>;

struct KeyRing {
  std::vector<ClusterKey> keys;  // at least one; keys[0] is the primary
  const ClusterKey& primary() const { return keys.front(); }
};

// Parses the contents of a --cluster-key-file: one key per line as 64 hex digits, the first
// line the primary; blank lines and lines starting with '#' are skipped; at most kMaxRingKeys
// keys, none twice. A file of exactly 32 bytes that is not hex is one raw key. Errors are
// ResultCode::kInvalidArgument with a sentence naming the line. Reading the file is the
// caller's business.
Result<KeyRing> parse_key_ring(std::string_view contents);

// A short public name of a key (the first 8 hex digits of its BLAKE2b hash), for logs and
// status: operators compare fingerprints, never keys.
std::string key_fingerprint(const ClusterKey& key);

}  // namespace drl::membership
