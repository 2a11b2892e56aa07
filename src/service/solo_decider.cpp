#include "service/solo_decider.h"

#include <thread>

namespace drl::service {

SoloDecider::SoloDecider(LocalDecider& local, CheckDecider& cluster, bool solo)
    : local_(local), cluster_(cluster), solo_(solo) {}

void SoloDecider::decide(std::span<const CheckCall> calls, CheckCompletion done) {
  if (solo_.load(std::memory_order_relaxed)) {
    in_local_.fetch_add(1);
    if (solo_.load()) {
      local_.decide(calls, std::move(done));
      in_local_.fetch_sub(1);
      return;
    }
    in_local_.fetch_sub(1);
  }
  cluster_.decide(calls, std::move(done));
}

void SoloDecider::leave_solo() {
  solo_.store(false);
  // Local decisions take microseconds: a short wait, once in the node's life.
  while (in_local_.load() != 0) std::this_thread::yield();
}

}  // namespace drl::service
