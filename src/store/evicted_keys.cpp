#include "store/evicted_keys.h"

#include <algorithm>
#include <cstring>

namespace drl::store {
namespace {

constexpr size_t kMinCapacity = 64;
constexpr size_t kBitsPerKey = 10;
constexpr int kProbes = 7;

size_t words_for(size_t capacity) {
  return (std::max(capacity, kMinCapacity) * kBitsPerKey + 63) / 64;
}

// The key hash already picks the shard (top bits) and the table slot (low bits); the probes
// come from a remix of it, so they do not line up with either.
uint64_t remix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

template <typename Visit>
void probes(uint64_t hash, size_t words, Visit visit) {
  const uint64_t h = remix(hash);
  const uint64_t step = (h >> 32) | 1;
  const uint64_t bits = uint64_t{words} * 64;
  uint64_t at = h;
  for (int i = 0; i < kProbes; ++i, at += step) visit((at % bits) / 64, uint64_t{1} << (at % 64));
}

}  // namespace

EvictedKeys::EvictedKeys(size_t capacity)
    : words_(words_for(capacity)),
      capacity_(std::max(capacity, kMinCapacity)),
      current_(std::make_unique<uint64_t[]>(words_)),
      previous_(std::make_unique<uint64_t[]>(words_)) {}

size_t EvictedKeys::bytes_for(size_t capacity) { return 2 * words_for(capacity) * 8; }

void EvictedKeys::remember(uint64_t hash) {
  if (added_ == capacity_) {
    std::swap(current_, previous_);
    std::memset(current_.get(), 0, words_ * sizeof(uint64_t));
    added_ = 0;
  }
  probes(hash, words_, [&](size_t w, uint64_t bit) { current_[w] |= bit; });
  ++added_;
}

bool EvictedKeys::in(const uint64_t* bits, uint64_t hash) const {
  bool all = true;
  probes(hash, words_, [&](size_t w, uint64_t bit) { all = all && (bits[w] & bit) != 0; });
  return all;
}

bool EvictedKeys::recalls(uint64_t hash) const {
  return in(current_.get(), hash) || in(previous_.get(), hash);
}

}  // namespace drl::store
