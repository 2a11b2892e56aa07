// envoyproxy/ratelimit's configuration (rls/config.h): YAML text an operator writes, parsed by
// parse_rls_config, then matched (rls/match.h). Operators are trusted, but a typo must give an
// error, never a crash or a hang.
//
// Oracles: exactly one of "config" and "error" is set; an error names the source and a line;
// every rule's path starts with its domain; every counted rule has a limit the engine accepts;
// matching a descriptor that follows the first branch of every level never crashes and finds
// a rule only where the last entry lands on one.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "rls/config.h"
#include "rls/match.h"

namespace {

void check_nodes(const std::vector<drl::rls::DescriptorNode>& nodes, const std::string& domain) {
  for (const auto& node : nodes) {
    DRL_FUZZ_CHECK(!node.key.empty());
    if (node.rate_limit) {
      const auto& rule = *node.rate_limit;
      DRL_FUZZ_CHECK(rule.path.rfind(domain + ".", 0) == 0);
      if (!rule.unlimited) {
        DRL_FUZZ_CHECK(drl::rls::unit_length(rule.unit) > 0);
        if (rule.requests_per_unit > 0) {
          drl::limits::Limit limit;
          limit.algorithm = rule.algorithm;
          limit.limit = rule.requests_per_unit;
          limit.window = drl::rls::unit_length(rule.unit);
          DRL_FUZZ_CHECK(drl::limits::validate(limit).empty());
        }
      }
    }
    check_nodes(node.children, domain);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const auto load = drl::rls::parse_rls_config(yaml, "fuzz.yaml");
  if (!load.ok()) {
    DRL_FUZZ_CHECK(load.error.rfind("fuzz.yaml:", 0) == 0);
    return 0;
  }
  DRL_FUZZ_CHECK(load.error.empty());
  for (const auto& [name, domain] : load.config->domains()) {
    DRL_FUZZ_CHECK(!name.empty() && name == domain.name);
    check_nodes(domain.descriptors, name);
    std::vector<drl::rls::DescriptorEntry> entries;
    for (const auto* level = &domain.descriptors; !level->empty();
         level = &level->front().children) {
      const auto& node = level->front();
      entries.push_back({node.key, node.value});
      const auto match = drl::rls::match_descriptor(domain, entries);
      if (match.rule != nullptr) DRL_FUZZ_CHECK(match.counted_values.size() == entries.size());
    }
  }
  return 0;
}
