// Replays fuzz/corpus/client_frame/ through the fuzz target itself (fuzz/client_frame_fuzz.cpp,
// compiled here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/client_frame_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(ClientFrameCorpus, EveryInputPassesTheTarget) {
  replay_corpus("client_frame", &LLVMFuzzerTestOneInput);
}

}  // namespace
}  // namespace drl::fuzz_replay
