// Gossip packets to a node without a cluster key: UDP datagrams and TCP sync frames, decoded
// by membership::GossipCodec (membership/gossip_codec.h).
//
// Oracles: a packet is either decoded or dropped with a reason, and each outcome is counted
// exactly once; a decoded message re-encodes (no size limit) to a packet that decodes again
// to an encoding of the same size (tag maps may serialise in another order).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "membership/gossip_codec.h"

namespace {

using drl::membership::DecodeError;
using drl::membership::GossipCodec;

constexpr size_t kMaxPacket = 64 * 1024;
constexpr size_t kSmallPacket = 512;  // reaches the too-large branch with short inputs

uint64_t outcomes(const drl::membership::CodecStats& s) {
  return s.decoded + s.dropped_too_large + s.dropped_unknown_format + s.dropped_auth_failed +
         s.dropped_malformed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drl::fuzz::quiet_protobuf();
  const std::string_view packet(reinterpret_cast<const char*>(data), size);
  GossipCodec codec(nullptr);
  const auto result = codec.decode(packet, kMaxPacket);
  DRL_FUZZ_CHECK(result.message.has_value() == (result.error == DecodeError::kNone));
  DRL_FUZZ_CHECK(outcomes(codec.stats()) == 1);
  const auto small = codec.decode(packet, kSmallPacket);
  DRL_FUZZ_CHECK((small.error == DecodeError::kTooLarge) == (size > kSmallPacket));
  if (!result.message) return 0;
  const std::string first = codec.encode(*result.message, SIZE_MAX);
  DRL_FUZZ_CHECK(!first.empty());
  const auto again = codec.decode(first, SIZE_MAX);
  DRL_FUZZ_CHECK(again.message.has_value());
  DRL_FUZZ_CHECK(again.message->body.index() == result.message->body.index());
  DRL_FUZZ_CHECK(codec.encode(*again.message, SIZE_MAX).size() == first.size());
  return 0;
}
