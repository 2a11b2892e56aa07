// Gossip packets to a node with a cluster key ring (membership/gossip_codec.h). Each input is
// tried twice: as a packet off the network (an outsider without the key: must be dropped
// unless a key of the ring opens it), and sealed with the key, as an insider would send it,
// so the fuzzer reaches the protobuf parser behind the seal.
//
// Oracles: a sealed packet always opens; a decoded message re-encodes to a sealed packet that
// decodes again.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "membership/gossip_codec.h"

namespace {

using drl::membership::DecodeError;
using drl::membership::GossipCodec;

constexpr size_t kMaxPacket = 64 * 1024;

drl::membership::ClusterKey fuzz_key() {
  drl::membership::ClusterKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x5A ^ i);
  return key;
}

// The format byte and the sealed body, as GossipCodec::encode lays a packet out.
std::string seal(std::string_view body, const drl::membership::Sealer& sealer) {
  const char format = static_cast<char>(drl::membership::kSealedFormat);
  std::string out(1, format);
  sealer.seal(std::string_view(&format, 1), body, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drl::fuzz::quiet_protobuf();
  static const auto sealer = std::make_shared<const drl::membership::Sealer>(
      drl::membership::KeyRing{{fuzz_key()}}, drl::membership::Sealer::NoncePrefix{});
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  GossipCodec codec(sealer);
  const auto raw = codec.decode(bytes, kMaxPacket);
  DRL_FUZZ_CHECK(raw.message.has_value() == (raw.error == DecodeError::kNone));

  const std::string sealed_packet = seal(bytes, *sealer);
  const auto result = codec.decode(sealed_packet, kMaxPacket);
  DRL_FUZZ_CHECK(result.error != DecodeError::kAuthFailed);
  DRL_FUZZ_CHECK(result.error != DecodeError::kUnknownFormat);
  if (!result.message) return 0;
  const std::string first = codec.encode(*result.message, SIZE_MAX);
  DRL_FUZZ_CHECK(!first.empty());
  const auto again = codec.decode(first, SIZE_MAX);
  DRL_FUZZ_CHECK(again.message.has_value());
  DRL_FUZZ_CHECK(codec.encode(*again.message, SIZE_MAX).size() == first.size());
  return 0;
}
