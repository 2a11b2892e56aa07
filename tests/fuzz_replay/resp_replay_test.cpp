// Replays fuzz/corpus/resp/ through the fuzz target itself (fuzz/resp_fuzz.cpp, compiled
// here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/resp_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(RespCorpus, EveryInputPassesTheTarget) { replay_corpus("resp", &LLVMFuzzerTestOneInput); }

}  // namespace
}  // namespace drl::fuzz_replay
