// Builds an Envoy RateLimitRequest from (key, value) lists: one list per descriptor. For the
// RLS planner's tests and the gRPC door's real-process tests.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "envoy/service/ratelimit/v3/rls.pb.h"

namespace drl::testing {

using DescriptorEntries = std::vector<std::pair<std::string, std::string>>;

inline envoy::service::ratelimit::v3::RateLimitRequest rls_request(
    const std::string& domain, const std::vector<DescriptorEntries>& descriptors,
    uint32_t hits_addend = 0) {
  envoy::service::ratelimit::v3::RateLimitRequest r;
  r.set_domain(domain);
  r.set_hits_addend(hits_addend);
  for (const DescriptorEntries& entries : descriptors) {
    auto* d = r.add_descriptors();
    for (const auto& [k, v] : entries) {
      auto* e = d->add_entries();
      e->set_key(k);
      e->set_value(v);
    }
  }
  return r;
}

}  // namespace drl::testing
