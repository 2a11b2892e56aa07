// Gossip packets to a node with a cluster key (membership/gossip_codec.h). Each input is
// tried twice: as a packet off the network (an outsider without the key: must be dropped
// unless it carries a valid tag), and signed with the key, as an insider would send it, so
// the fuzzer reaches the protobuf parser behind the authentication check.
//
// Oracles: a signed packet never fails authentication; a decoded message re-encodes to a
// signed packet that decodes again.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
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

// format byte + body + crypto_auth tag over both, as GossipCodec::encode lays it out.
std::string sign(std::string_view body, const drl::membership::ClusterKey& key) {
  std::string out(1, static_cast<char>(drl::membership::kAuthFormat));
  out.append(body);
  unsigned char tag[crypto_auth_BYTES];
  crypto_auth(tag, reinterpret_cast<const unsigned char*>(out.data()), out.size(), key.data());
  out.append(reinterpret_cast<const char*>(tag), sizeof tag);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drl::fuzz::quiet_protobuf();
  static const drl::membership::ClusterKey key = fuzz_key();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  GossipCodec codec(key);
  const auto raw = codec.decode(bytes, kMaxPacket);
  DRL_FUZZ_CHECK(raw.message.has_value() == (raw.error == DecodeError::kNone));

  const std::string signed_packet = sign(bytes, key);
  const auto result = codec.decode(signed_packet, kMaxPacket);
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
