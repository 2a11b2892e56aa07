// The node's answer to the test-only AdminRequest (--enable-test-hooks): turns the requested
// peer faults into the PeerFaultFilter that the peer links, the peer server and the gossip
// transport consult. A fault names a peer by member id or by host:port; both names are
// installed (resolved through the members membership knows now), because a link knows its
// peer's address and a packet carries its sender's id.
// Threads: thread-safe as far as the filter is (the members are a copy).
#pragma once
#include <string>
#include <vector>

#include "drl/client.pb.h"
#include "membership/member.h"
#include "service/peer_fault_filter.h"

namespace drl::service {

// Installs `request`'s faults in `filter` (replacing those in force; none heals). Returns ""
// and fills `response`, or a sentence saying why nothing was changed.
std::string apply_fault_request(const wire::AdminRequest& request,
                                const std::vector<membership::Member>& members,
                                PeerFaultFilter& filter, wire::AdminResponse& response);

}  // namespace drl::service
