// The single-node fast path in front of the cluster's decider. While this node has never
// shared a view with another member, every check it is given is decided right here, on the
// calling I/O thread, by the LocalDecider over the same store the cluster uses: no hop to
// the cluster thread and back, no per-batch allocation. From the first view with another
// member on, every check goes to the cluster decider, for good (going back would race with
// hand-offs and forwards still in flight).
//
// The switch is exact: leave_solo() turns the fast path off and then waits until no local
// decision is in progress, so once it returns the cluster thread alone decides, and every
// state decided locally is in the store, where hand-off and replication read it.
//
// Ownership: borrows both deciders (they must outlive it). Thread-safe.
#pragma once
#include <atomic>
#include <cstdint>

#include "service/check_decider.h"
#include "service/local_decider.h"

namespace drl::service {

class SoloDecider final : public CheckDecider {
 public:
  // `solo`: start on the fast path (a node that joins a cluster starts with false).
  SoloDecider(LocalDecider& local, CheckDecider& cluster, bool solo);

  void decide(std::span<const CheckCall> calls, CheckCompletion done) override;

  // Leaves the fast path for good; returns once no local decision is in progress. Call it
  // before giving the cluster a view that holds another member. Must not be called from
  // inside a decide() completion (it would wait for itself).
  void leave_solo();
  bool solo() const { return solo_.load(std::memory_order_relaxed); }

 private:
  LocalDecider& local_;
  CheckDecider& cluster_;
  std::atomic<bool> solo_;
  // Local decisions in progress. Sequentially consistent with solo_ (a Dekker pair): a
  // decide() that saw solo_ true is counted before leave_solo() reads the count.
  std::atomic<int64_t> in_local_{0};
};

}  // namespace drl::service
