// Replays fuzz/corpus/http_check/ through the fuzz target itself (fuzz/http_check_fuzz.cpp,
// compiled here as plain C++ without libFuzzer), so its oracles hold in every build.
#include <gtest/gtest.h>

// The target itself, compiled once into this program.
#include "../../fuzz/http_check_fuzz.cpp"
#include "fuzz_replay/support/corpus.h"

namespace drl::fuzz_replay {
namespace {

TEST(HttpCheckCorpus, EveryInputPassesTheTarget) {
  replay_corpus("http_check", &LLVMFuzzerTestOneInput);
}

}  // namespace
}  // namespace drl::fuzz_replay
