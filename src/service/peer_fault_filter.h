// Test-only fault injection for the node's peer traffic: which frames and packets to and from
// which peers are dropped or delayed. The node installs a set of faults when it receives an
// AdminRequest (only with --enable-test-hooks); the peer links, the peer server and the gossip
// transport ask verdict() for every frame or packet they send or receive.
//
// A pure value holder: no I/O, no clock, no threads of its own. The transports apply the
// verdict (drop, or hold the bytes for the delay); every caller drops what a drop verdict
// names, so the filter counts the drops itself (drops(), the node's metrics page).
// Threads: every method is thread-safe. verdict() is cheap when no fault is in force (one
// atomic load), so the filter can sit on every hot path.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace drl::service {

struct PeerFault {
  std::string peer;   // a member id or host:port; empty = every peer
  bool drop = false;  // drop everything to and from the peer, else delay it
  std::chrono::milliseconds delay{0};
};

struct FaultVerdict {
  bool drop = false;
  std::chrono::milliseconds delay{0};
  bool pass() const { return !drop && delay.count() == 0; }
};

inline constexpr size_t kMaxPeerFaults = 256;
inline constexpr std::chrono::milliseconds kMaxFaultDelay{60'000};

class PeerFaultFilter {
 public:
  // "" when `faults` may be installed, else a sentence saying what is wrong (too many, a delay
  // above kMaxFaultDelay, a peer name over 256 bytes, a fault that neither drops nor delays).
  static std::string validate(const std::vector<PeerFault>& faults);

  // Replaces the faults in force (empty heals everything). Returns validate()'s message and
  // leaves the current faults alone when it is not empty.
  std::string set(std::vector<PeerFault> faults);

  // What to do with traffic to or from the peer known by `id` and/or `address` (either may be
  // empty when the caller does not know it). Every matching fault counts: a drop wins, else
  // the longest delay applies. A drop verdict is counted in drops(): the caller must drop the
  // frame or packet it asked about.
  FaultVerdict verdict(std::string_view id, std::string_view address) const;

  // Frames and packets dropped so far (drop verdicts given), over every set of faults.
  uint64_t drops() const { return drops_.load(std::memory_order_relaxed); }

  size_t size() const;
  std::vector<PeerFault> faults() const;

 private:
  mutable std::mutex mu_;
  std::vector<PeerFault> faults_;  // guarded by mu_
  std::atomic<bool> any_{false};
  mutable std::atomic<uint64_t> drops_{0};  // a statistic, not state: verdict() stays const
};

}  // namespace drl::service
