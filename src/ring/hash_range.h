// Ranges of the 64-bit key-hash space, as the ring assigns them and the store scans them.
// Plain values; thread-compatible.
#pragma once
#include <cstdint>
#include <string>

namespace drl::ring {

// Inclusive range [lo, hi] of drl::key_hash values; lo > hi wraps around past 2^64-1,
// exactly as store::Store::for_each_in_hash_range reads it. lo == hi + 1 (mod 2^64) is the
// whole space.
struct HashRange {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool contains(uint64_t h) const { return lo <= hi ? (h >= lo && h <= hi) : (h >= lo || h <= hi); }
  // Number of hashes in the range minus one (so the whole space fits in 64 bits).
  uint64_t span_minus_one() const { return hi - lo; }
  bool operator==(const HashRange&) const = default;
};

// A range whose owner changes between two rings: `from` owned it before, `to` owns it now.
struct RangeMove {
  HashRange range;
  std::string from;
  std::string to;
  bool operator==(const RangeMove&) const = default;
};

}  // namespace drl::ring
