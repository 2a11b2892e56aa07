// Replays fuzz/corpus/durable_log/ through the fuzz target itself (fuzz/durable_log_fuzz.cpp,
// compiled here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/durable_log_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(DurableLogCorpus, EveryInputPassesTheTarget) {
  replay_corpus("durable_log", &LLVMFuzzerTestOneInput);
}

}  // namespace
}  // namespace drl::fuzz_replay
