// The store-wide byte count and the budget it is held to. Shards add their deltas under
// their own locks; the total is one relaxed atomic, so no shard waits on another to count.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace drl::store {

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t max_bytes) : max_(static_cast<int64_t>(max_bytes)) {}
  void add(int64_t delta) { used_.fetch_add(delta, std::memory_order_relaxed); }
  int64_t used() const { return used_.load(std::memory_order_relaxed); }
  bool limited() const { return max_ > 0; }
  // True when `extra` more bytes would take the store past its budget.
  bool would_exceed(int64_t extra) const { return limited() && used() + extra > max_; }
  bool exceeded() const { return would_exceed(0); }

 private:
  const int64_t max_;
  std::atomic<int64_t> used_{0};
};

}  // namespace drl::store
