#include "cluster/inline_decision.h"

#include "common/key_hash.h"

namespace drl::cluster {

bool decide_inline(const Ownership& ownership, store::Backend& store, std::string_view key,
                   const limits::Limit& limit, const limits::Request& request, TimePoint now,
                   store::MemoryRule rule, limits::Decision& out) {
  if (!ownership.decides(key_hash(key))) return false;
  out = store.apply(key, limit, request, now, rule);
  return true;
}

}  // namespace drl::cluster
