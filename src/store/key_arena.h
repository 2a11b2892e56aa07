// Heap blocks for keys longer than an Entry holds inline; one arena per shard, guarded by the
// shard's lock like everything else in it (not thread-safe on its own).
//
// Why not malloc: keys churn. A rate limiter's keys expire seconds after their last check and
// come back later, so a busy node frees and allocates a key block for most checks, and glibc's
// arenas answered that with trimming and regrowing (munmap, mprotect) on the I/O thread. Here
// blocks come in 16-byte size classes up to 256 bytes, carved from 16 KiB chunks and recycled
// through a free stack per class: no system call and no lock per key. Longer keys use
// operator new. A freed block stays in its arena for the next key; every chunk goes back
// once the arena's last small block does (the shard emptied).
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

namespace drl::store {

class KeyArena {
 public:
  KeyArena() = default;
  KeyArena(const KeyArena&) = delete;
  KeyArena& operator=(const KeyArena&) = delete;

  // A block of at least `n` bytes (n > 0), owned by the caller until deallocate(p, n).
  char* allocate(size_t n);
  // Gives back a block from allocate(n), with the same `n`.
  void deallocate(char* p, size_t n);

  size_t outstanding() const { return outstanding_; }  // small blocks handed out
  size_t chunks() const { return chunks_.size(); }

 private:
  static constexpr size_t kGrain = 16;
  static constexpr size_t kMaxSmall = 256;
  static constexpr size_t kClasses = kMaxSmall / kGrain;
  static constexpr size_t kChunkBytes = 16 * 1024;
  static size_t class_of(size_t n) { return (n + kGrain - 1) / kGrain - 1; }

  // Freed blocks per class, as stacks of pointers rather than links threaded through the
  // blocks: taking one then reads this (hot) array, not the freed block (a cache miss).
  std::vector<char*> free_[kClasses];
  char* bump_ = nullptr;  // the unused tail of the newest chunk
  size_t bump_left_ = 0;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t outstanding_ = 0;
};

}  // namespace drl::store
