// Replays fuzz/corpus/policy/ through the fuzz target itself (fuzz/policy_fuzz.cpp, compiled
// here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/policy_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(PolicyCorpus, EveryInputPassesTheTarget) { replay_corpus("policy", &LLVMFuzzerTestOneInput); }

}  // namespace
}  // namespace drl::fuzz_replay
