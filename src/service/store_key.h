// The store key of a check, shared by the node (where the state lives) and the smart client
// (which hashes it onto the ring to find the owner): both must compute the same bytes.
#pragma once
#include <string>

#include "service/check_decider.h"

namespace drl::service {

// The limit's identity, then the user key, so one user key under two limits has two states.
// Policy: "p" + name + '\0' + key. Inline: "i" + algorithm, calendar, varint limit, window
// (ns), burst + key. Overwrites `out`.
void store_key_for(const CheckCall& call, std::string& out);

}  // namespace drl::service
