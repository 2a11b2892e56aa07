// Replays fuzz/corpus/peer/ through the fuzz target itself (fuzz/peer_fuzz.cpp, compiled
// here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/peer_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(PeerCorpus, EveryInputPassesTheTarget) { replay_corpus("peer", &LLVMFuzzerTestOneInput); }

}  // namespace
}  // namespace drl::fuzz_replay
