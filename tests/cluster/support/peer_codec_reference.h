// The protobuf-based peer codec that src/cluster/peer_codec.cpp replaced: value structs ->
// generated drl::v1::PeerMessage -> bytes and back. Kept only as the reference model of the
// differential test (peer_codec_diff_test.cpp) and the benchmark's baseline; never used by
// the node. Stateless and thread-safe.
#pragma once
#include <string>
#include <string_view>

#include "cluster/peer_messages.h"
#include "drl/peer.pb.h"

namespace drl::cluster::reference {

void to_proto(const PeerMessage& message, v1::PeerMessage& pb);
std::string encode_peer_message(const PeerMessage& message);

// The old decoder's validation of a parsed message: "" and `out` filled, or the error.
std::string from_proto(const v1::PeerMessage& pb, PeerMessage& out);
// Parse failures are "peer message is not a valid drl.v1.PeerMessage" (kNotValid).
std::string decode_peer_message(std::string_view bytes, PeerMessage& out);
inline constexpr char kNotValid[] = "peer message is not a valid drl.v1.PeerMessage";

}  // namespace drl::cluster::reference
