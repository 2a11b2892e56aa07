// The `drl` command line as a whole: every example in every --help parses as written (and names
// only what exists: the example policy file's policies, files of the repository, loopback
// addresses), every subcommand uses one default port, and unsigned options refuse negatives.
#include "cli/app.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace drl::cli {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The subcommands' help texts and the top-level one.
std::vector<std::string> every_help() {
  auto drl = make_app();
  std::vector<std::string> out{drl.app->help()};
  for (auto* sub : drl.app->get_subcommands({})) out.push_back(sub->help());
  return out;
}

// Parses `words` (without the leading "drl") with a fresh app; "" or CLI11's message.
std::string parse(std::vector<std::string> words) {
  auto drl = make_app();
  std::vector<char*> argv;
  words.insert(words.begin(), "drl");
  for (auto& w : words) argv.push_back(w.data());
  try {
    drl.app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(HelpExamples, ExtractsJoinedLinesWithoutComments) {
  const auto examples = help_examples(
      "Examples:\n  drl node --listen 127.0.0.1:7000 \\\n      --id n1   # a comment\n"
      "Then: drl test-fault --drop '*'\nnot drl here\n");
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0],
            (std::vector<std::string>{"drl", "node", "--listen", "127.0.0.1:7000", "--id", "n1"}));
  EXPECT_EQ(examples[1], (std::vector<std::string>{"drl", "test-fault", "--drop", "*"}));
}

TEST(HelpExamples, EveryExampleParsesAndNamesWhatExists) {
  // Relative paths in the examples (docs/policies.example.yaml) are the repository's.
  ASSERT_EQ(chdir(DRL_SOURCE_DIR), 0);
  const std::string policies = read_file("docs/policies.example.yaml");
  ASSERT_FALSE(policies.empty());
  size_t count = 0;
  for (const auto& help : every_help()) {
    for (auto words : help_examples(help)) {
      ++count;
      std::string line;
      for (const auto& w : words) line += w + " ";
      ASSERT_GE(words.size(), 2u) << line;
      EXPECT_EQ(parse({words.begin() + 1, words.end()}), "") << line;
      for (size_t i = 0; i + 1 < words.size(); ++i) {
        const auto& flag = words[i];
        const auto& value = words[i + 1];
        if (flag == "--policy") {
          EXPECT_NE(policies.find("\n  " + value + ":"), std::string::npos)
              << line << ": docs/policies.example.yaml has no policy " << value;
        }
        if (flag == "--policies" || flag == "--rls" || flag == "--rls-config") {
          EXPECT_TRUE(std::filesystem::exists(value)) << line << ": no file " << value;
        }
        // The one exception: --advertise's example binds every address and names a loopback one.
        const bool advertised = line.find("--advertise 127.") != std::string::npos;
        if ((flag == "--listen" && !(advertised && value.rfind("0.0.0.0:", 0) == 0)) ||
            flag == "--metrics" || flag == "--resp" || flag == "--advertise") {
          EXPECT_EQ(value.rfind("127.", 0), 0u) << line << ": examples listen on loopback only";
        }
      }
    }
  }
  EXPECT_GE(count, 15u) << "the examples were not found in the help texts";
}

TEST(DefaultPort, IsTheSameForEverySubcommand) {
  auto drl = make_app();
  auto default_of = [&](const char* sub, const char* option) {
    return drl.app->get_subcommand(sub)->get_option(option)->get_default_str();
  };
  EXPECT_EQ(default_of("node", "--listen"), "127.0.0.1:7000");
  EXPECT_EQ(default_of("cluster", "--base-port"), "7000");
  EXPECT_EQ(default_of("check", "--server"), "127.0.0.1:7000");
  EXPECT_EQ(default_of("status", "--server"), "127.0.0.1:7000");
  EXPECT_EQ(default_of("bench", "--servers"), "127.0.0.1:7000");
}

TEST(Numbers, NegativesAreRefusedAsNegative) {
  for (const char* option : {"--limit", "--cost", "--burst"}) {
    const auto error = parse({"check", "k", "--window", "1s", option, "-5"});
    EXPECT_NE(error.find("must not be negative (got -5)"), std::string::npos)
        << option << ": " << error;
  }
  EXPECT_NE(parse({"node", "--max-connections", "-1"}).find("negative"), std::string::npos);
  EXPECT_NE(parse({"bench", "--keys", "-1"}).find("negative"), std::string::npos);
  EXPECT_EQ(parse({"check", "k", "--limit", "5", "--window", "1s"}), "");
}

TEST(Numbers, SizesTakeSuffixes) {
  for (const char* size : {"256M", "1G", "512K", "268435456"}) {
    EXPECT_EQ(parse({"node", "--max-memory", size}), "") << size;
  }
  EXPECT_NE(parse({"node", "--max-memory", "lots"}), "");
}

}  // namespace
}  // namespace drl::cli
