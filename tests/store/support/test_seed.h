// Seeds for randomised store tests: DRL_SEED replays a run; otherwise a fresh seed.
#pragma once
#include <cstdint>
#include <string>

namespace drl::store::testing {

// DRL_SEED if set (decimal), else a random seed; printed at once (limits/support/test_seed.h).
// Print it (SCOPED_TRACE) in every test as well.
uint64_t test_seed();
std::string seed_note(uint64_t seed);

}  // namespace drl::store::testing
