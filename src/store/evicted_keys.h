// Remembers the key hashes a shard evicted while their state still mattered, so the next
// decision of such a key can say "reset by eviction" (a client can tell a fresh key from a
// reset one). Two generations of a Bloom filter: 10 bits and 7 probes per remembered key,
// so a key never evicted is flagged by mistake about 1% of the time per generation (at most
// ~2% with both full), and a remembered key is forgotten once `capacity` to 2 x `capacity`
// later evictions have filled both generations. It cannot forget one key on its own: a key
// evicted once may be flagged again later (for example, after its state would have expired
// anyway) until its generation is dropped. Not thread-safe: the owning shard's lock guards it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace drl::store {

class EvictedKeys {
 public:
  // Room for `capacity` hashes per generation (at least 64).
  explicit EvictedKeys(size_t capacity);

  void remember(uint64_t hash);
  bool recalls(uint64_t hash) const;
  // What both generations take, for the store's memory accounting.
  size_t bytes() const { return 2 * words_ * sizeof(uint64_t); }
  // Bytes a filter of `capacity` hashes per generation takes.
  static size_t bytes_for(size_t capacity);

 private:
  bool in(const uint64_t* bits, uint64_t hash) const;

  size_t words_;     // per generation
  size_t capacity_;  // hashes a generation takes before the older one is dropped
  size_t added_ = 0;
  std::unique_ptr<uint64_t[]> current_;
  std::unique_ptr<uint64_t[]> previous_;
};

}  // namespace drl::store
