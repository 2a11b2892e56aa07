#include "limits/policy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "common/random.h"
#include "limits/support/test_seed.h"

namespace drl::limits {
namespace {

constexpr const char* kGood = R"(# API limits
policies:
  api_per_user:
    description: authenticated user id
    algorithm: token_bucket
    limit: 100
    window: 1m
    burst: 200
  uploads_monthly:
    algorithm: fixed_window
    calendar: month
    limit: 10000
    degrade: closed
  login_attempts:
    algorithm: sliding_log
    limit: 5
    window: 15m
    shadow: true
    degrade: open
  shaping:
    algorithm: leaky_bucket
    limit: 10
    window: 1s
    burst: 20
  search:
    algorithm: sliding_window
    limit: 1000
    window: 1h30m
)";

TEST(Policy, LoadsAGoodFile) {
  const PolicyLoad load = parse_policies(kGood, "limits.yaml");
  ASSERT_TRUE(load.ok()) << load.error;
  const PolicySet& set = *load.policies;
  EXPECT_EQ(set.size(), 5u);
  const Policy* user = set.find("api_per_user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->description, "authenticated user id");
  EXPECT_EQ(user->limit, (Limit{Algorithm::kTokenBucket, 100, kMinute, 200, Calendar::kNone}));
  EXPECT_FALSE(user->shadow);
  EXPECT_EQ(user->degrade, DegradeMode::kLocal);
  const Policy* uploads = set.find("uploads_monthly");
  ASSERT_NE(uploads, nullptr);
  EXPECT_EQ(uploads->limit.calendar, Calendar::kMonth);
  EXPECT_EQ(uploads->degrade, DegradeMode::kClosed);
  const Policy* login = set.find("login_attempts");
  ASSERT_NE(login, nullptr);
  EXPECT_TRUE(login->shadow);
  EXPECT_EQ(login->degrade, DegradeMode::kOpen);
  EXPECT_EQ(login->limit.window, 15 * kMinute);
  EXPECT_EQ(set.find("search")->limit.window, 90 * kMinute);
  EXPECT_EQ(set.find("nope"), nullptr);
  EXPECT_EQ(set.all().front().name, "api_per_user");  // name order
}

TEST(Policy, OnMemoryFullIsReadAndDefaultsToTheNodes) {
  const auto load = parse_policies(
      "policies:\n  a:\n    limit: 1\n    window: 1h\n    on_memory_full: evict\n"
      "  b:\n    limit: 1\n    window: 1h\n    on_memory_full: refuse\n"
      "  c:\n    limit: 1\n    window: 1h\n",
      "p.yaml");
  ASSERT_TRUE(load.ok()) << load.error;
  EXPECT_EQ(load.policies->find("a")->on_memory_full, MemoryFullMode::kEvict);
  EXPECT_EQ(load.policies->find("b")->on_memory_full, MemoryFullMode::kRefuse);
  EXPECT_EQ(load.policies->find("c")->on_memory_full, MemoryFullMode::kNodeDefault);
  for (const char* bad : {"default", "drop", "Refuse"}) {
    const auto refused = parse_policies(
        std::string("policies:\n  a:\n    limit: 1\n    window: 1h\n    on_memory_full: ") + bad +
            "\n",
        "p.yaml");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.error.find("use evict or refuse"), std::string::npos) << refused.error;
  }
}

TEST(Policy, EmptyPoliciesMapIsAnEmptySet) {
  const PolicyLoad load = parse_policies("policies: {}\n");
  ASSERT_TRUE(load.ok()) << load.error;
  EXPECT_EQ(load.policies->size(), 0u);
}

struct BadCase {
  const char* yaml;
  const char* expected;  // the whole error, "file:line: message" prefix checked
};

TEST(Policy, EachErrorNamesFileLineAndProblem) {
  const BadCase cases[] = {
      {"policies:\n  a:\n    algorithm: tokenbucket\n    limit: 1\n    window: 1s\n",
       "p.yaml:3: policy 'a': unknown algorithm 'tokenbucket'"},
      {"policies:\n  a:\n    limit: 1\n    window: 0s\n",
       "p.yaml:4: policy 'a': window must be longer than 0"},
      {"policies:\n  a:\n    window: 1s\n", "p.yaml:2: policy 'a': missing limit"},
      {"policies:\n  a:\n    limit: 5\n", "p.yaml:2: policy 'a': missing window"},
      {"policies:\n  a:\n    limit: 1\n    window: 1s\n    limt: 2\n",
       "p.yaml:5: policy 'a': unknown field 'limt'"},
      {"policies:\n  a:\n    limit: 1\n    window: 1s\n  a:\n    limit: 2\n    window: 1s\n",
       "p.yaml:5: duplicate policy name 'a'"},
      {"policies:\n  a:\n    limit: [1\n", "p.yaml:4: YAML syntax error"},
      {"policies:\n  a:\n    limit: ten\n    window: 1s\n",
       "p.yaml:3: policy 'a': limit must be a whole number, got 'ten'"},
      {"policies:\n  a:\n    limit: 1\n    window: 5x\n",
       "p.yaml:4: policy 'a': window: unknown unit 'x'"},
      {"policies:\n  a:\n    limit: 0\n    window: 1s\n",
       "p.yaml:2: policy 'a': limit must be > 0"},
      {"policies:\n  a:\n    limit: 1\n    window: 1s\n    degrade: maybe\n",
       "p.yaml:5: policy 'a': unknown degrade mode 'maybe'"},
      {"policies:\n  a:\n    limit: 1\n    calendar: month\n",
       "p.yaml:2: policy 'a': a calendar window needs the fixed_window algorithm"},
      {"policies:\n  a:\n    limit: 20000\n    window: 1s\n    algorithm: sliding_log\n",
       "p.yaml:2: policy 'a': sliding_log keeps one timestamp"},
      {"policies:\n  a:\n    limit: 1\n    window: 1s\n    shadow: perhaps\n",
       "p.yaml:5: policy 'a': shadow must be true or false"},
      {"limits:\n  a: {}\n", "p.yaml:1: unknown top-level key"},
      {"", "p.yaml:1: no policies"},
      {"policies:\n  a: 5\n", "p.yaml:2: policy 'a': expected a map of fields"},
  };
  for (const BadCase& c : cases) {
    const PolicyLoad load = parse_policies(c.yaml, "p.yaml");
    EXPECT_FALSE(load.ok()) << c.yaml;
    EXPECT_EQ(load.error.rfind(c.expected, 0), 0u)
        << "input:\n"
        << c.yaml << "error: " << load.error << "\nexpected prefix: " << c.expected;
  }
}

TEST(Policy, LoadsFromAFileAndReportsAMissingOne) {
  const std::string path = ::testing::TempDir() + "drl_policy_test.yaml";
  {
    std::ofstream out(path);
    out << kGood;
  }
  const PolicyLoad load = load_policy_file(path);
  ASSERT_TRUE(load.ok()) << load.error;
  EXPECT_EQ(load.policies->size(), 5u);
  std::remove(path.c_str());
  const PolicyLoad missing = load_policy_file(path);
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.error, path + ": cannot open the policy file");
}

TEST(Policy, TheDocumentedExampleLoads) {
  const std::string path = std::string(DRL_SOURCE_DIR) + "/docs/policies.example.yaml";
  const PolicyLoad load = load_policy_file(path);
  ASSERT_TRUE(load.ok()) << load.error;
  EXPECT_EQ(load.policies->size(), 5u);
}

TEST(Policy, GarbageNeverCrashes) {
  const uint64_t seed = testing::test_seed();
  Random rng(seed);
  const std::string base = kGood;
  static constexpr char kAlphabet[] = "abcdefghij:{}[]-,&*!|>'\"#%@`\n\t 0123456789.\\?";
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng.below(12));
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng.below(text.size() + 1);
      switch (rng.below(3)) {
        case 0:
          text.insert(at, 1, kAlphabet[rng.below(sizeof(kAlphabet) - 1)]);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1 + rng.below(8));
          break;
        default:
          text.insert(at, 1, static_cast<char>(rng.below(256)));
      }
    }
    const PolicyLoad load = parse_policies(text, "fuzz.yaml");
    if (!load.ok()) {
      ASSERT_EQ(load.error.rfind("fuzz.yaml:", 0), 0u) << "seed " << seed << ": " << load.error;
    } else {
      for (const Policy& p : load.policies->all()) {
        ASSERT_EQ(validate(p.limit), "") << "DRL_SEED=" << seed << " accepted an invalid policy";
      }
    }
  }
  // Deep nesting must not blow the stack.
  EXPECT_FALSE(parse_policies(std::string(100000, '['), "deep.yaml").ok());
  EXPECT_FALSE(parse_policies(std::string(100000, '{'), "deep.yaml").ok());
}

}  // namespace
}  // namespace drl::limits
