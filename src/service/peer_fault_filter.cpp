#include "service/peer_fault_filter.h"

#include <algorithm>

namespace drl::service {

std::string PeerFaultFilter::validate(const std::vector<PeerFault>& faults) {
  if (faults.size() > kMaxPeerFaults) {
    return "too many peer faults (" + std::to_string(faults.size()) + "; at most " +
           std::to_string(kMaxPeerFaults) + ")";
  }
  for (const auto& f : faults) {
    const std::string who = f.peer.empty() ? "every peer" : "peer '" + f.peer.substr(0, 64) + "'";
    if (f.peer.size() > 256) return "peer name over 256 bytes";
    if (f.delay.count() < 0 || f.delay > kMaxFaultDelay) {
      return "fault on " + who + ": delay must be 0.." + std::to_string(kMaxFaultDelay.count()) +
             " ms";
    }
    if (!f.drop && f.delay.count() == 0) {
      return "fault on " + who + " neither drops nor delays (give drop or a delay in ms)";
    }
  }
  return "";
}

std::string PeerFaultFilter::set(std::vector<PeerFault> faults) {
  if (auto err = validate(faults); !err.empty()) return err;
  std::lock_guard lock(mu_);
  faults_ = std::move(faults);
  any_.store(!faults_.empty(), std::memory_order_release);
  return "";
}

FaultVerdict PeerFaultFilter::verdict(std::string_view id, std::string_view address) const {
  FaultVerdict v;
  if (!any_.load(std::memory_order_acquire)) return v;
  std::lock_guard lock(mu_);
  for (const auto& f : faults_) {
    const bool match =
        f.peer.empty() || (!id.empty() && f.peer == id) || (!address.empty() && f.peer == address);
    if (!match) continue;
    if (f.drop) v.drop = true;
    v.delay = std::max(v.delay, f.delay);
  }
  if (v.drop) {
    v.delay = std::chrono::milliseconds(0);
    drops_.fetch_add(1, std::memory_order_relaxed);
  }
  return v;
}

size_t PeerFaultFilter::size() const {
  std::lock_guard lock(mu_);
  return faults_.size();
}

std::vector<PeerFault> PeerFaultFilter::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

}  // namespace drl::service
