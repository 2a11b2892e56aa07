// Which rule of an envoyproxy/ratelimit configuration a request descriptor falls under, by the
// rules of its README and src/config/config_impl.go (GetLimit): at each level, the entry's exact
// key and value first, then the first wildcard value of that key (in file order) that matches,
// then the bare key; the descriptor gets the rule of the node its last entry lands on, so the
// nesting depth must equal the number of entries. Pure functions; thread-safe.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rls/config.h"

namespace drl::rls {

struct DescriptorEntry {
  std::string_view key;
  std::string_view value;
};

struct RuleMatch {
  const RateLimitRule* rule = nullptr;  // null: no rule applies (the descriptor is not limited)
  // Per entry, the value the descriptor is counted under: the entry's own value, or the
  // wildcard pattern of a node with share_threshold. Views into the request or the config.
  std::vector<std::string_view> counted_values;
};

// `value` against a wildcard value split on '*' (DescriptorNode::value_parts): each '*'
// matches zero or more characters.
bool wildcard_matches(std::span<const std::string> parts, std::string_view value);

RuleMatch match_descriptor(const Domain& domain, std::span<const DescriptorEntry> entries);

}  // namespace drl::rls
