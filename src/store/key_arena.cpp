#include "store/key_arena.h"

#include <algorithm>

namespace drl::store {

char* KeyArena::allocate(size_t n) {
  if (n > kMaxSmall) return new char[n];
  const size_t c = class_of(std::max<size_t>(n, 1));
  ++outstanding_;
  if (!free_[c].empty()) {
    char* p = free_[c].back();
    free_[c].pop_back();
    return p;
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
  free_[c].push_back(p);
  if (--outstanding_ == 0) {
    // Nothing handed out: the memory can go back whole.
    chunks_.clear();
    for (auto& stack : free_) stack = {};
    bump_ = nullptr;
    bump_left_ = 0;
  }
}

}  // namespace drl::store
