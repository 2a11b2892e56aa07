#include "store/support/test_seed.h"

#include <cstdlib>
#include <random>

namespace drl::store::testing {

uint64_t test_seed() {
  if (const char* env = std::getenv("DRL_SEED"); env != nullptr && *env != '\0') {
    return std::strtoull(env, nullptr, 10);
  }
  std::random_device rd;
  return (uint64_t{rd()} << 32) | rd();
}

std::string seed_note(uint64_t seed) {
  return "seed " + std::to_string(seed) + " (replay with DRL_SEED=" + std::to_string(seed) + ")";
}

}  // namespace drl::store::testing
