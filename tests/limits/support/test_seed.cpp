#include "limits/support/test_seed.h"

#include <cstdio>
#include <cstdlib>
#include <random>

namespace drl::limits::testing {

uint64_t test_seed() {
  uint64_t seed = 0;
  if (const char* env = std::getenv("DRL_SEED"); env != nullptr && *env != '\0') {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    std::random_device rd;
    seed = (uint64_t{rd()} << 32) | rd();
  }
  std::printf("seed %llu (replay with DRL_SEED=%llu)\n", static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  return seed;
}

}  // namespace drl::limits::testing
