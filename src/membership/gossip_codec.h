// Message <-> bytes for gossip (UDP datagrams and TCP sync frames), sealed under the cluster's
// key ring when the node has one.
//
// Packet layout: one format byte, then
//   kPlainFormat:  a drl.v1.GossipPacket (proto/drl/gossip.proto);
//   kSealedFormat: that packet sealed by the Sealer (nonce, ciphertext, tag; sealer.h), the
//                  format byte authenticated with it.
// A codec with a sealer accepts only sealed packets that a key of the ring opens; one without
// accepts only plain packets. Anything else is dropped and counted, never trusted.
//
// Thread-safety: encode/decode are const apart from the atomic counters; a codec may be used
// from several threads at once. Shares the sealer (whose ring may be swapped at any time).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "membership/message.h"
#include "membership/sealer.h"

namespace drl::membership {

inline constexpr uint8_t kPlainFormat = 0xD1;
// 0xD2 was the HMAC-tagged format of drl before the key ring; it is now an unknown format.
inline constexpr uint8_t kSealedFormat = 0xD3;

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
  uint64_t dropped_auth_failed = 0;  // no key opens it, or plain/sealed mismatch with ours
  uint64_t dropped_malformed = 0;
  uint64_t updates_trimmed = 0;  // piggy-backed updates left out so a packet fits
};

class GossipCodec {
 public:
  // No sealer: plain packets.
  explicit GossipCodec(std::shared_ptr<const Sealer> sealer);

  // Encodes `m`, leaving out trailing piggy-backed updates until it fits in max_bytes.
  // Returns an empty string if even the bare message does not fit.
  std::string encode(const Message& m, size_t max_bytes);
  DecodeResult decode(std::string_view packet, size_t max_bytes);
  CodecStats stats() const;
  bool authenticated() const { return sealer_ != nullptr; }

 private:
  std::shared_ptr<const Sealer> sealer_;
  std::atomic<uint64_t> encoded_{0}, decoded_{0}, too_large_{0}, unknown_format_{0},
      auth_failed_{0}, malformed_{0}, trimmed_{0};
};

}  // namespace drl::membership
