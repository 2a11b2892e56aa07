// Replays fuzz/corpus/gossip_keyed/ through the fuzz target itself (fuzz/gossip_keyed_fuzz.cpp,
// compiled here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/gossip_keyed_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(GossipKeyedCorpus, EveryInputPassesTheTarget) {
  replay_corpus("gossip_keyed", &LLVMFuzzerTestOneInput);
}

}  // namespace
}  // namespace drl::fuzz_replay
