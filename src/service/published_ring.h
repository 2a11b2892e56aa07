// The ring a node routes by, as clients may ask for it (Request.ring, docs/protocol.md,
// "Routing to owners"). The control thread publishes each view it gives the cluster; client
// sessions on any I/O thread read the epoch (every response carries it) and fill ring
// answers. Thread-safe: the ring is swapped whole under a mutex; the epoch is an atomic.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drl/client.pb.h"
#include "ring/ring.h"

namespace drl::service {

class PublishedRing {
 public:
  explicit PublishedRing(uint32_t replicas) : replicas_(replicas) {}

  // The members of the view just given to the cluster (the cluster builds the same ring),
  // and their states then by id ("alive" or "suspect"; a member not named is "alive").
  void publish(std::vector<ring::Member> members, uint32_t vnodes,
               std::map<std::string, std::string> states);
  // 0 until the first view.
  const std::atomic<uint64_t>& epoch() const { return epoch_; }
  // The ring, or only its epoch (unchanged) when the client already holds it.
  void fill(uint64_t known_epoch, wire::RingResponse& out) const;

 private:
  const uint32_t replicas_;
  std::atomic<uint64_t> epoch_{0};
  mutable std::mutex mutex_;
  std::shared_ptr<const ring::Ring> ring_;     // guarded by mutex_
  std::map<std::string, std::string> states_;  // guarded by mutex_
};

}  // namespace drl::service
