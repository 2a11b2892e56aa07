// The address a node is named by: what peers and clients are told (membership, the ring,
// decided_by, status, the smart client's member list), from `drl node --listen` and
// `--advertise`. Pure; thread-safe.
#pragma once
#include <string_view>

#include "common/host_port.h"

namespace drl::cli {

// `advertise` empty: the listen address names the node, unless it is a wildcard (0.0.0.0, ::),
// which names no one machine: refused, asking for --advertise. `advertise` given: HOST:PORT,
// HOST not a wildcard, PORT the listen port (one port number carries client TCP, peer TCP and
// gossip UDP, and peers reach a node at its advertised port: drl maps no ports), and the
// listen port fixed (port 0 picks a port the advertised address could not name).
// Errors are kInvalidArgument with a sentence saying what to give instead.
Result<HostPort> node_address(const HostPort& listen, std::string_view advertise);

}  // namespace drl::cli
