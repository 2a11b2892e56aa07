#include "service/fault_admin.h"

#include <spdlog/spdlog.h>

namespace drl::service {

std::string apply_fault_request(const wire::AdminRequest& request,
                                const std::vector<membership::Member>& members,
                                PeerFaultFilter& filter, wire::AdminResponse& response) {
  // Each fault may be installed under two names.
  if (static_cast<size_t>(request.faults_size()) > kMaxPeerFaults / 2) {
    return "too many peer faults (" + std::to_string(request.faults_size()) + "; at most " +
           std::to_string(kMaxPeerFaults / 2) + ")";
  }
  std::vector<PeerFault> faults;
  for (const auto& f : request.faults()) {
    PeerFault fault{f.peer(), f.drop(), std::chrono::milliseconds(f.delay_ms())};
    faults.push_back(fault);
    if (fault.peer.empty()) continue;
    for (const auto& m : members) {
      if (m.info.id == fault.peer && m.info.address != fault.peer) {
        faults.push_back(PeerFault{m.info.address, fault.drop, fault.delay});
      } else if (m.info.address == fault.peer && m.info.id != fault.peer) {
        faults.push_back(PeerFault{m.info.id, fault.drop, fault.delay});
      }
    }
  }
  if (auto err = filter.set(std::move(faults)); !err.empty()) return err;
  response.set_faults_in_force(static_cast<uint32_t>(request.faults_size()));
  if (request.faults_size() == 0) {
    spdlog::warn("test hooks: peer faults healed");
  } else {
    for (const auto& f : request.faults()) {
      spdlog::warn(
          "test hooks: peer fault on {}: {}", f.peer().empty() ? "every peer" : f.peer(),
          f.drop() ? std::string("drop") : "delay " + std::to_string(f.delay_ms()) + " ms");
    }
  }
  return "";
}

}  // namespace drl::service
