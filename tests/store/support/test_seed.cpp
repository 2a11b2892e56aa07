#include "store/support/test_seed.h"

#include "limits/support/test_seed.h"

namespace drl::store::testing {

uint64_t test_seed() { return limits::testing::test_seed(); }

std::string seed_note(uint64_t seed) {
  return "seed " + std::to_string(seed) + " (replay with DRL_SEED=" + std::to_string(seed) + ")";
}

}  // namespace drl::store::testing
