// Wire form of the peer messages: a cluster::PeerMessage <-> the bytes of one
// drl.v1.PeerMessage (proto/drl/peer.proto). Framing (length prefix, "DRLP" magic,
// authentication) belongs to the peer link in src/net. Stateless and thread-safe.
#pragma once
#include <string>
#include <string_view>

#include "cluster/peer_messages.h"

namespace drl::cluster {

std::string encode_peer_message(const PeerMessage& message);

// Decodes untrusted bytes. Returns "" and fills `out` on success; otherwise a sentence saying
// what was wrong, and `out` is unspecified. Never throws.
std::string decode_peer_message(std::string_view bytes, PeerMessage& out);

}  // namespace drl::cluster
