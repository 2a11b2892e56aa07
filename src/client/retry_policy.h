// How the client library retries a batch answered OVERLOADED: how long it waits (at least
// the node's retry-after, growing with each attempt, with full jitter so clients shed
// together do not come back together) and where it sends the retry (another node of the
// list, picked at random, so the load a shed node refuses spreads over the others instead
// of returning to it). Pure logic over an injected generator; not thread-safe (the client
// uses it on its one I/O thread).
#pragma once
#include <chrono>
#include <cstdint>
#include <random>

namespace drl::client {

class RetryPolicy {
 public:
  // `base`: the first wait when the node gives no retry-after.
  RetryPolicy(std::chrono::milliseconds base, uint64_t seed) : base_(base), random_(seed) {}

  // The wait before the next attempt: uniform in [floor, max(floor, 2 x last_wait)], where
  // floor = max(retry_after, base). Never below the node's retry-after.
  std::chrono::milliseconds wait(int64_t retry_after_ms, std::chrono::milliseconds last_wait);

  // The node (index into the client's list of `nodes`) to send a retry to, given the one that
  // answered OVERLOADED (`shed_by`, or `nodes` when unknown): any other node, uniformly; the
  // same node only when it is the only one.
  size_t next_node(size_t nodes, size_t shed_by);

 private:
  std::chrono::milliseconds base_;
  std::mt19937_64 random_;
};

}  // namespace drl::client
