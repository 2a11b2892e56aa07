// The policy file (limits/policy.h): YAML text an operator writes, parsed by parse_policies.
// Operators are trusted, but a typo must give an error, never a crash or a hang.
//
// Oracles: exactly one of "policies" and "error" is set; an error names the source; every
// loaded policy has a valid limit and the set is sorted by name without duplicates.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "limits/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const auto load = drl::limits::parse_policies(yaml, "fuzz.yaml");
  if (!load.ok()) {
    DRL_FUZZ_CHECK(load.error.rfind("fuzz.yaml", 0) == 0);
    return 0;
  }
  DRL_FUZZ_CHECK(load.error.empty());
  const auto& all = load.policies->all();
  for (size_t i = 0; i < all.size(); ++i) {
    DRL_FUZZ_CHECK(drl::limits::validate(all[i].limit).empty());
    DRL_FUZZ_CHECK(load.policies->find(all[i].name) == &all[i]);
    if (i > 0) DRL_FUZZ_CHECK(all[i - 1].name < all[i].name);
  }
  return 0;
}
