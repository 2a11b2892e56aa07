// The --cluster-key-file: read and parsed at start (drl node) and again on SIGHUP (the node).
#pragma once
#include <string>

#include "drl/status.h"
#include "membership/cluster_key.h"

namespace drl::node {

// The key ring in `path`; errors name the file (cannot read, or what parse_key_ring said).
Result<membership::KeyRing> read_key_ring_file(const std::string& path);

// "2 keys, primary 1a2b3c4d, also 5e6f7a8b": what logs say of a ring (fingerprints only).
std::string describe_key_ring(const membership::KeyRing& ring);

}  // namespace drl::node
