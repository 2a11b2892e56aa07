// The one hash of a key, shared by the store's sharding and the ring's placement, so
// that "the keys of a hash range" means the same thing to both.
#pragma once
#include <cstdint>
#include <string_view>

namespace drl {

// 64-bit XXH3 of the key bytes, seed 0. Stable across versions and machines: it is part
// of the cluster's placement contract (see docs/design.md).
uint64_t key_hash(std::string_view key) noexcept;

}  // namespace drl
