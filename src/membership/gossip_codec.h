// Message <-> bytes for gossip (UDP datagrams and TCP sync frames), with optional
// authentication by a cluster key.
//
// Packet layout: one format byte (kPlainFormat or kAuthFormat), a drl.v1.GossipPacket
// (proto/drl/gossip.proto), and with a key a 32-byte crypto_auth (HMAC-SHA-512-256) tag over
// everything before it. A codec with a key accepts only authenticated packets with a valid
// tag; one without a key accepts only plain packets. Anything else is dropped and counted,
// never trusted.
//
// Thread-safety: encode/decode are const apart from the atomic counters; a codec may be used
// from several threads at once. Owns a copy of the key.
#pragma once
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "membership/cluster_key.h"
#include "membership/message.h"

namespace drl::membership {

inline constexpr uint8_t kPlainFormat = 0xD1;
inline constexpr uint8_t kAuthFormat = 0xD2;

enum class DecodeError : uint8_t { kNone, kTooLarge, kUnknownFormat, kAuthFailed, kMalformed };

struct DecodeResult {
  std::optional<Message> message;
  DecodeError error = DecodeError::kNone;
};

struct CodecStats {
  uint64_t encoded = 0;
  uint64_t decoded = 0;
  uint64_t dropped_too_large = 0;
  uint64_t dropped_unknown_format = 0;
  uint64_t dropped_auth_failed = 0;  // bad tag, or plain/auth mismatch with our configuration
  uint64_t dropped_malformed = 0;
  uint64_t updates_trimmed = 0;  // piggy-backed updates left out so a packet fits
};

class GossipCodec {
 public:
  explicit GossipCodec(std::optional<ClusterKey> key);

  // Encodes `m`, leaving out trailing piggy-backed updates until it fits in max_bytes.
  // Returns an empty string if even the bare message does not fit.
  std::string encode(const Message& m, size_t max_bytes);
  DecodeResult decode(std::string_view packet, size_t max_bytes);
  CodecStats stats() const;
  bool authenticated() const { return key_.has_value(); }

 private:
  std::optional<ClusterKey> key_;
  std::atomic<uint64_t> encoded_{0}, decoded_{0}, too_large_{0}, unknown_format_{0},
      auth_failed_{0}, malformed_{0}, trimmed_{0};
};

}  // namespace drl::membership
