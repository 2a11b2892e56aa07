#include "store/key_arena.h"

#include <algorithm>

namespace drl::store {

char* KeyArena::allocate(size_t n) {
  if (n > kMaxSmall) return new char[n];
  const size_t c = class_of(std::max<size_t>(n, 1));
  ++outstanding_;
  if (FreeBlock* b = free_[c]; b != nullptr) {
    free_[c] = b->next;
    return reinterpret_cast<char*>(b);
  }
  const size_t size = (c + 1) * kGrain;
  if (bump_left_ < size) {
    // The old chunk's tail (under 256 bytes) is left unused rather than sorted into lists.
    chunks_.push_back(std::make_unique<char[]>(kChunkBytes));
    bump_ = chunks_.back().get();
    bump_left_ = kChunkBytes;
  }
  char* p = bump_;
  bump_ += size;
  bump_left_ -= size;
  return p;
}

void KeyArena::deallocate(char* p, size_t n) {
  if (n > kMaxSmall) {
    delete[] p;
    return;
  }
  const size_t c = class_of(std::max<size_t>(n, 1));
  auto* b = reinterpret_cast<FreeBlock*>(p);
  b->next = free_[c];
  free_[c] = b;
  if (--outstanding_ == 0) {
    // Nothing handed out: the memory can go back whole.
    chunks_.clear();
    std::fill(std::begin(free_), std::end(free_), nullptr);
    bump_ = nullptr;
    bump_left_ = 0;
  }
}

}  // namespace drl::store
