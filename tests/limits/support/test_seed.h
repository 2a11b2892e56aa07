// Seeds for the randomised limits tests (property tests, policy garbage): DRL_SEED replays a
// run; otherwise a fresh random seed. The seed is printed (and flushed) before the test uses
// it, so a crash or an abort, which skips gtest's failure messages, still leaves it in the log.
#pragma once
#include <cstdint>

namespace drl::limits::testing {

uint64_t test_seed();

}  // namespace drl::limits::testing
