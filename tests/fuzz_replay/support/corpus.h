// Replays a fuzz target's corpus (fuzz/corpus/<target>/) as an ordinary test, so every input
// the fuzzer ever kept, and every crash it ever found, runs in every build, sanitizers
// included. Each input is handed over in a heap buffer of exactly its size, as libFuzzer
// does, so ASan catches a read one byte past the end.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace drl::fuzz_replay {

using FuzzTarget = int (*)(const uint8_t* data, size_t size);

// fuzz/corpus/<target> of this source tree, or $DRL_FUZZ_CORPUS/<target> when set.
std::filesystem::path corpus_dir(std::string_view target);

// Every regular file of the corpus, sorted by name.
std::vector<std::filesystem::path> corpus_files(std::string_view target);

// Runs `run` on each file of the corpus, naming each on stderr first (a crash then points
// at its input). Adds a gtest failure if the corpus is empty or the target returns non-zero.
void replay_corpus(std::string_view target, FuzzTarget run);

}  // namespace drl::fuzz_replay
