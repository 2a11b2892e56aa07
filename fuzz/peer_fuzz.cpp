// Peer frames: the payload of one DRLP frame from another node, decoded by
// cluster::decode_peer_message (cluster/peer_codec.h).
//
// Oracles: a decode error is a sentence, never empty; what decodes re-encodes to bytes that
// decode again to the same encoding (the codec is canonical after one round).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/peer_codec.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drl::fuzz::quiet_protobuf();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  drl::cluster::PeerMessage message;
  const std::string error = drl::cluster::decode_peer_message(bytes, message);
  if (!error.empty()) return 0;
  const std::string first = drl::cluster::encode_peer_message(message);
  drl::cluster::PeerMessage again;
  DRL_FUZZ_CHECK(drl::cluster::decode_peer_message(first, again).empty());
  DRL_FUZZ_CHECK(again.index() == message.index());
  DRL_FUZZ_CHECK(drl::cluster::encode_peer_message(again) == first);
  return 0;
}
