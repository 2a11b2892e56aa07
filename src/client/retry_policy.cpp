#include "client/retry_policy.h"

#include <algorithm>

namespace drl::client {

std::chrono::milliseconds RetryPolicy::wait(int64_t retry_after_ms,
                                            std::chrono::milliseconds last_wait) {
  const int64_t floor = std::max<int64_t>(retry_after_ms, base_.count());
  const int64_t ceiling = std::max<int64_t>(floor, 2 * last_wait.count());
  std::uniform_int_distribution<int64_t> pick(floor, ceiling);
  return std::chrono::milliseconds(pick(random_));
}

size_t RetryPolicy::next_node(size_t nodes, size_t shed_by) {
  if (nodes <= 1) return 0;
  if (shed_by >= nodes) {
    std::uniform_int_distribution<size_t> any(0, nodes - 1);
    return any(random_);
  }
  std::uniform_int_distribution<size_t> other(0, nodes - 2);
  const size_t pick = other(random_);
  return pick >= shed_by ? pick + 1 : pick;
}

}  // namespace drl::client
