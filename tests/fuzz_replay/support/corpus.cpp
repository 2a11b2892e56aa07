#include "fuzz_replay/support/corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace drl::fuzz_replay {

namespace fs = std::filesystem;

fs::path corpus_dir(std::string_view target) {
  if (const char* root = std::getenv("DRL_FUZZ_CORPUS"); root != nullptr && *root != '\0') {
    return fs::path(root) / target;
  }
  // The corpora live in fuzz/corpus of the source tree (tests/CMakeLists.txt defines
  // DRL_SOURCE_DIR; __FILE__ is relative under ccache).
  return fs::path(DRL_SOURCE_DIR) / "fuzz" / "corpus" / target;
}

std::vector<fs::path> corpus_files(std::string_view target) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(corpus_dir(target), ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void replay_corpus(std::string_view target, FuzzTarget run) {
  const auto files = corpus_files(target);
  ASSERT_FALSE(files.empty()) << "no inputs in " << corpus_dir(target);
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << file;
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
    auto exact = std::make_unique<uint8_t[]>(std::max<size_t>(bytes.size(), 1));
    std::copy(bytes.begin(), bytes.end(), exact.get());
    EXPECT_EQ(run(exact.get(), bytes.size()), 0) << file;
  }
}

}  // namespace drl::fuzz_replay
