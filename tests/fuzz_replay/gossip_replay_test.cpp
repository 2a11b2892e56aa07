// Replays fuzz/corpus/gossip/ through the fuzz target itself (fuzz/gossip_fuzz.cpp, compiled
// here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/gossip_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(GossipCorpus, EveryInputPassesTheTarget) { replay_corpus("gossip", &LLVMFuzzerTestOneInput); }

}  // namespace
}  // namespace drl::fuzz_replay
