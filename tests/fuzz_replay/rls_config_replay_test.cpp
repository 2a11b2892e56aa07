// Replays fuzz/corpus/rls_config/ through the fuzz target itself (fuzz/rls_config_fuzz.cpp,
// compiled here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/rls_config_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(RlsConfigCorpus, EveryInputPassesTheTarget) {
  replay_corpus("rls_config", &LLVMFuzzerTestOneInput);
}

}  // namespace
}  // namespace drl::fuzz_replay
