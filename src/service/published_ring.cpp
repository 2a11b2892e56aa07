#include "service/published_ring.h"

#include <algorithm>

namespace drl::service {

void PublishedRing::publish(std::vector<ring::Member> members, uint32_t vnodes,
                            std::map<std::string, std::string> states) {
  auto next = std::make_shared<const ring::Ring>(std::move(members), vnodes);
  const uint64_t epoch = next->epoch();
  {
    std::lock_guard lock(mutex_);
    ring_ = std::move(next);
    states_ = std::move(states);
  }
  epoch_.store(epoch, std::memory_order_relaxed);
}

void PublishedRing::fill(uint64_t known_epoch, wire::RingResponse& out) const {
  std::shared_ptr<const ring::Ring> ring;
  std::map<std::string, std::string> states;
  {
    std::lock_guard lock(mutex_);
    ring = ring_;
    states = states_;
  }
  if (ring == nullptr || ring->empty()) return;  // epoch 0: no ring yet
  out.set_epoch(ring->epoch());
  out.set_replicas(static_cast<uint32_t>(std::min<size_t>(replicas_, ring->size())));
  out.set_vnodes(ring->vnodes());
  if (known_epoch == ring->epoch()) {
    out.set_unchanged(true);
    return;
  }
  for (const auto& m : ring->members()) {
    auto* member = out.add_members();
    member->set_id(m.id);
    member->set_address(m.address);
    const auto state = states.find(m.id);
    member->set_state(state == states.end() ? "alive" : state->second);
  }
  const auto& tokens = ring->tokens();
  out.mutable_token_hashes()->Reserve(static_cast<int>(tokens.size()));
  out.mutable_token_members()->Reserve(static_cast<int>(tokens.size()));
  for (const auto& t : tokens) {
    out.add_token_hashes(t.hash);
    out.add_token_members(t.member);
  }
}

}  // namespace drl::service
