// The shared secret that authenticates gossip (libsodium crypto_auth, HMAC-SHA-512-256).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drl::membership {

inline constexpr size_t kClusterKeyBytes = 32;
using ClusterKey = std::array<uint8_t, kClusterKeyBytes>;

struct ClusterKeyResult {
  std::optional<ClusterKey> key;
  std::string error;  // set when key is empty; says what was wrong and what is expected
};

// Parses the contents of a --cluster-key-file: exactly 32 raw bytes, or 64 hex digits
// (surrounding whitespace ignored). Reading the file is the caller's business.
ClusterKeyResult parse_cluster_key(std::string_view contents);

}  // namespace drl::membership
