// The configuration loader and the matcher against the examples of envoyproxy/ratelimit's
// README ("The configuration format", examples 1-9 and 11), each with the outcome the README
// states for it, plus the errors its config_impl.go raises.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "rls/config.h"
#include "rls/config_book.h"
#include "rls/match.h"

namespace drl::rls {
namespace {

std::shared_ptr<const RlsConfig> load_ok(std::string_view yaml) {
  RlsConfigLoad load = parse_rls_config(yaml, "test.yaml");
  EXPECT_TRUE(load.ok()) << load.error;
  return load.config;
}

std::string load_error(std::string_view yaml) {
  RlsConfigLoad load = parse_rls_config(yaml, "test.yaml");
  EXPECT_FALSE(load.ok());
  return load.error;
}

// The rule a descriptor (key, value pairs) falls under; null when none.
const RateLimitRule* rule_for(const RlsConfig& config, std::string_view domain,
                              std::vector<DescriptorEntry> entries) {
  const Domain* d = config.find(domain);
  if (d == nullptr) return nullptr;
  return match_descriptor(*d, entries).rule;
}

TEST(RlsConfig, Example1TwoValuesOfOneKey) {
  const auto config = load_ok(R"(
domain: mongo_cps
descriptors:
  - key: database
    value: users
    rate_limit:
      unit: second
      requests_per_unit: 500

  - key: database
    value: default
    rate_limit:
      unit: second
      requests_per_unit: 500
)");
  const RateLimitRule* users = rule_for(*config, "mongo_cps", {{"database", "users"}});
  ASSERT_NE(users, nullptr);
  EXPECT_EQ(users->requests_per_unit, 500u);
  EXPECT_EQ(users->unit, Unit::kSecond);
  EXPECT_EQ(users->path, "mongo_cps.database_users");
  EXPECT_EQ(users->algorithm, limits::Algorithm::kFixedWindow);
  const RateLimitRule* def = rule_for(*config, "mongo_cps", {{"database", "default"}});
  ASSERT_NE(def, nullptr);
  EXPECT_NE(def, users);
  // No bare-key rule: another value is not limited.
  EXPECT_EQ(rule_for(*config, "mongo_cps", {{"database", "orders"}}), nullptr);
  EXPECT_EQ(rule_for(*config, "other_domain", {{"database", "users"}}), nullptr);
}

constexpr const char* kMessaging = R"(
domain: messaging
descriptors:
  # Only allow 5 marketing messages a day
  - key: message_type
    value: marketing
    descriptors:
      - key: to_number
        rate_limit:
          unit: day
          requests_per_unit: 5

  # Only allow 100 messages a day to any unique phone number
  - key: to_number
    rate_limit:
      unit: day
      requests_per_unit: 100
)";

TEST(RlsConfig, Example2NestedDescriptorsAndBareKeys) {
  const auto config = load_ok(kMessaging);
  const RateLimitRule* marketing =
      rule_for(*config, "messaging", {{"message_type", "marketing"}, {"to_number", "2061111111"}});
  ASSERT_NE(marketing, nullptr);
  EXPECT_EQ(marketing->requests_per_unit, 5u);
  EXPECT_EQ(marketing->unit, Unit::kDay);
  EXPECT_EQ(marketing->path, "messaging.message_type_marketing.to_number");
  const RateLimitRule* any = rule_for(*config, "messaging", {{"to_number", "2061111111"}});
  ASSERT_NE(any, nullptr);
  EXPECT_EQ(any->requests_per_unit, 100u);
  // The placeholder level alone has no limit.
  EXPECT_EQ(rule_for(*config, "messaging", {{"message_type", "marketing"}}), nullptr);
  // Each phone number is counted on its own: the counted values carry the number.
  const Domain* d = config->find("messaging");
  std::vector<DescriptorEntry> a = {{"message_type", "marketing"}, {"to_number", "2061111111"}};
  std::vector<DescriptorEntry> b = {{"message_type", "marketing"}, {"to_number", "2062222222"}};
  EXPECT_NE(match_descriptor(*d, a).counted_values, match_descriptor(*d, b).counted_values);
  EXPECT_EQ(match_descriptor(*d, a).rule, match_descriptor(*d, b).rule);
}

TEST(RlsConfig, Example3ValueBeforeBareKey) {
  const auto config = load_ok(R"(
domain: edge_proxy_per_ip
descriptors:
  - key: remote_address
    rate_limit:
      unit: second
      requests_per_unit: 10

  # Black list IP
  - key: remote_address
    value: 50.0.0.5
    rate_limit:
      unit: second
      requests_per_unit: 0
)");
  const RateLimitRule* generic =
      rule_for(*config, "edge_proxy_per_ip", {{"remote_address", "50.0.0.1"}});
  ASSERT_NE(generic, nullptr);
  EXPECT_EQ(generic->requests_per_unit, 10u);
  // The key/value rule wins although the bare key comes first in the file.
  const RateLimitRule* black =
      rule_for(*config, "edge_proxy_per_ip", {{"remote_address", "50.0.0.5"}});
  ASSERT_NE(black, nullptr);
  EXPECT_EQ(black->requests_per_unit, 0u);
}

TEST(RlsConfig, Example4NestingDepthMustMatch) {
  const auto flat = load_ok(R"(
domain: example4
descriptors:
  - key: key
    value: value
    rate_limit:
      requests_per_unit: 300
      unit: second
)");
  EXPECT_EQ(rule_for(*flat, "example4", {{"key", "value"}, {"subkey", "subvalue"}}), nullptr);
  EXPECT_NE(rule_for(*flat, "example4", {{"key", "value"}}), nullptr);
  const auto nested = load_ok(R"(
domain: example4
descriptors:
  - key: key
    value: value
    descriptors:
      - key: subkey
        rate_limit:
          requests_per_unit: 300
          unit: second
)");
  const RateLimitRule* rule =
      rule_for(*nested, "example4", {{"key", "value"}, {"subkey", "subvalue"}});
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->requests_per_unit, 300u);
  // Fewer entries than levels: no rule either.
  EXPECT_EQ(rule_for(*nested, "example4", {{"key", "value"}}), nullptr);
}

TEST(RlsConfig, Example5Unlimited) {
  const auto config = load_ok(R"(
domain: internal
descriptors:
  - key: ldap
    rate_limit:
      unlimited: true

  - key: azure
    rate_limit:
      unit: minute
      requests_per_unit: 100
)");
  const RateLimitRule* ldap = rule_for(*config, "internal", {{"ldap", "x"}});
  ASSERT_NE(ldap, nullptr);
  EXPECT_TRUE(ldap->unlimited);
  const RateLimitRule* azure = rule_for(*config, "internal", {{"azure", "y"}});
  ASSERT_NE(azure, nullptr);
  EXPECT_FALSE(azure->unlimited);
  EXPECT_EQ(azure->unit, Unit::kMinute);
}

TEST(RlsConfig, Example6ShadowMode) {
  const auto config = load_ok(R"(
domain: example6
descriptors:
  - key: service
    descriptors:
      - key: user
        value: user-a
        rate_limit:
          requests_per_unit: 10
          unit: second
        shadow_mode: true
      - key: user
        value: user-b
        rate_limit:
          requests_per_unit: 20
          unit: second
)");
  const RateLimitRule* a =
      rule_for(*config, "example6", {{"service", "auth-service"}, {"user", "user-a"}});
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->shadow_mode);
  EXPECT_EQ(a->requests_per_unit, 10u);
  const RateLimitRule* b =
      rule_for(*config, "example6", {{"service", "auth-service"}, {"user", "user-b"}});
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->shadow_mode);
  EXPECT_EQ(b->requests_per_unit, 20u);
}

TEST(RlsConfig, Example7ReplacesIsRead) {
  const auto config = load_ok(R"(
domain: example7
descriptors:
  - key: key_1
    value: value_1
    descriptors:
      - key: user
        value: bkthomps
        rate_limit:
          name: specific_limit
          requests_per_unit: 5
          unit: second
  - key: key_2
    value: value_2
    descriptors:
      - key: user
        value: bkthomps
        rate_limit:
          replaces:
            - name: specific_limit
          requests_per_unit: 10
          unit: second
)");
  const RateLimitRule* specific =
      rule_for(*config, "example7", {{"key_1", "value_1"}, {"user", "bkthomps"}});
  ASSERT_NE(specific, nullptr);
  EXPECT_EQ(specific->name, "specific_limit");
  const RateLimitRule* replacing =
      rule_for(*config, "example7", {{"key_2", "value_2"}, {"user", "bkthomps"}});
  ASSERT_NE(replacing, nullptr);
  EXPECT_EQ(replacing->replaces, std::vector<std::string>{"specific_limit"});
  EXPECT_EQ(replacing->requests_per_unit, 10u);
}

TEST(RlsConfig, Example8DetailedMetricIsAccepted) {
  const auto config = load_ok(R"(
domain: example8
descriptors:
  - key: key1
    detailed_metric: true
    rate_limit:
      unit: minute
      requests_per_unit: 10
  - key: key1
    value: value1
    rate_limit:
      unit: minute
      requests_per_unit: 20
)");
  EXPECT_EQ(rule_for(*config, "example8", {{"key1", "unspecified"}})->requests_per_unit, 10u);
  EXPECT_EQ(rule_for(*config, "example8", {{"key1", "value1"}})->requests_per_unit, 20u);
}

TEST(RlsConfig, Example9Wildcards) {
  const auto config = load_ok(R"(
domain: example9
descriptors:
  - key: key1
    value: value*
    rate_limit:
      unit: minute
      requests_per_unit: 20
  - key: path
    value: /api/*/action
    rate_limit:
      unit: minute
      requests_per_unit: 21
  - key: route
    value: /api/*/resource/*/action
    rate_limit:
      unit: minute
      requests_per_unit: 22
)");
  for (const char* v : {"value1", "value2", "valueXYZ", "value"}) {
    const RateLimitRule* r = rule_for(*config, "example9", {{"key1", v}});
    ASSERT_NE(r, nullptr) << v;
    EXPECT_EQ(r->requests_per_unit, 20u);
  }
  EXPECT_EQ(rule_for(*config, "example9", {{"key1", "valu"}}), nullptr);
  EXPECT_EQ(rule_for(*config, "example9", {{"key1", "xvalue1"}}), nullptr);
  EXPECT_NE(rule_for(*config, "example9", {{"path", "/api/123/action"}}), nullptr);
  EXPECT_NE(rule_for(*config, "example9", {{"path", "/api/user-id/action"}}), nullptr);
  EXPECT_EQ(rule_for(*config, "example9", {{"path", "/api/123/other"}}), nullptr);
  EXPECT_NE(rule_for(*config, "example9", {{"route", "/api/v1/resource/123/action"}}), nullptr);
  EXPECT_NE(rule_for(*config, "example9", {{"route", "/api/v2/resource/456/action"}}), nullptr);
  EXPECT_EQ(rule_for(*config, "example9", {{"route", "/api/v2/resource/action"}}), nullptr);
  // Without share_threshold every matching value has its own counter.
  const Domain* d = config->find("example9");
  std::vector<DescriptorEntry> a = {{"key1", "value1"}};
  std::vector<DescriptorEntry> b = {{"key1", "value2"}};
  EXPECT_NE(match_descriptor(*d, a).counted_values, match_descriptor(*d, b).counted_values);
}

TEST(RlsConfig, ExactValueThenWildcardThenBareKey) {
  const auto config = load_ok(R"(
domain: order
descriptors:
  - key: k
    rate_limit: {unit: second, requests_per_unit: 1}
  - key: k
    value: ab*
    rate_limit: {unit: second, requests_per_unit: 2}
  - key: k
    value: a*
    rate_limit: {unit: second, requests_per_unit: 3}
  - key: k
    value: abc
    rate_limit: {unit: second, requests_per_unit: 4}
)");
  EXPECT_EQ(rule_for(*config, "order", {{"k", "abc"}})->requests_per_unit, 4u);
  EXPECT_EQ(rule_for(*config, "order", {{"k", "abd"}})->requests_per_unit, 2u);  // first wildcard
  EXPECT_EQ(rule_for(*config, "order", {{"k", "ax"}})->requests_per_unit, 3u);
  EXPECT_EQ(rule_for(*config, "order", {{"k", "zzz"}})->requests_per_unit, 1u);
  EXPECT_EQ(rule_for(*config, "order", {{"other", "abc"}}), nullptr);
}

TEST(RlsConfig, Example11ShareThresholdCountsEveryMatchTogether) {
  const auto config = load_ok(R"(
domain: example11
descriptors:
  - key: files
    value: files/*
    share_threshold: true
    rate_limit:
      unit: hour
      requests_per_unit: 10
  - key: files_no_share
    value: files_no_share/*
    share_threshold: false
    rate_limit:
      unit: hour
      requests_per_unit: 10
)");
  const Domain* d = config->find("example11");
  std::vector<DescriptorEntry> a = {{"files", "files/a.pdf"}};
  std::vector<DescriptorEntry> b = {{"files", "files/b.csv"}};
  EXPECT_EQ(match_descriptor(*d, a).counted_values, match_descriptor(*d, b).counted_values);
  std::vector<DescriptorEntry> c = {{"files_no_share", "files_no_share/a.pdf"}};
  std::vector<DescriptorEntry> e = {{"files_no_share", "files_no_share/b.csv"}};
  EXPECT_NE(match_descriptor(*d, c).counted_values, match_descriptor(*d, e).counted_values);
}

TEST(RlsConfig, UnitsAndWindowsAreEnvoyRatelimits) {
  EXPECT_EQ(unit_length(Unit::kSecond), kSecond);
  EXPECT_EQ(unit_length(Unit::kMinute), 60 * kSecond);
  EXPECT_EQ(unit_length(Unit::kHour), 3600 * kSecond);
  EXPECT_EQ(unit_length(Unit::kDay), 86400 * kSecond);
  EXPECT_EQ(unit_length(Unit::kWeek), 7 * 86400 * kSecond);
  EXPECT_EQ(unit_length(Unit::kMonth), 30 * 86400 * kSecond);
  EXPECT_EQ(unit_length(Unit::kYear), 365 * 86400 * kSecond);
  EXPECT_EQ(unit_length(Unit::kUnknown), 0);
  EXPECT_EQ(parse_unit("Second"), Unit::kSecond);
  EXPECT_EQ(parse_unit("WEEK"), Unit::kWeek);
  EXPECT_EQ(parse_unit("unknown"), std::nullopt);
  EXPECT_EQ(parse_unit("fortnight"), std::nullopt);
}

TEST(RlsConfig, AlgorithmExtension) {
  const auto config = load_ok(R"(
domain: algo
descriptors:
  - key: a
    rate_limit: {unit: second, requests_per_unit: 10, algorithm: token_bucket}
  - key: b
    rate_limit: {unit: minute, requests_per_unit: 10, algorithm: sliding_window}
)");
  EXPECT_EQ(rule_for(*config, "algo", {{"a", "1"}})->algorithm, limits::Algorithm::kTokenBucket);
  EXPECT_EQ(rule_for(*config, "algo", {{"b", "1"}})->algorithm, limits::Algorithm::kSlidingWindow);
  EXPECT_EQ(load_error(R"(
domain: algo
descriptors:
  - key: a
    rate_limit:
      unit: second
      requests_per_unit: 10
      algorithm: bogus
)"),
            "test.yaml:8: unknown algorithm 'bogus' (use fixed_window, token_bucket, "
            "sliding_window, sliding_log or leaky_bucket)");
  EXPECT_NE(load_error(R"(
domain: algo
descriptors:
  - key: a
    rate_limit:
      unit: second
      requests_per_unit: 20000
      algorithm: sliding_log
)")
                .find("test.yaml:8: algorithm sliding_log with this rate limit: sliding_log keeps"),
            std::string::npos);
}

TEST(RlsConfig, ErrorsNameTheLine) {
  EXPECT_EQ(load_error("descriptors: []\n"),
            "test.yaml:1: the file has no domain (or an empty one)");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - value: x\n"),
            "test.yaml:3: descriptor has an empty key");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    rate_limit:\n      unit: "
                       "fortnight\n      requests_per_unit: 1\n"),
            "test.yaml:5: invalid rate limit unit 'fortnight' (use second, minute, hour, day, "
            "week, month or year)");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    rate_limit:\n      "
                       "requests_per_unit: 1\n"),
            "test.yaml:4: rate_limit has no unit (second, minute, hour, day, week, month or year)");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    rate_limit:\n      unlimited: "
                       "true\n      unit: second\n"),
            "test.yaml:6: should not specify rate limit unit when unlimited");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    rate_limit:\n      unit: "
                       "second\n      requests_per_unit: -1\n"),
            "test.yaml:6: requests_per_unit must be a whole number from 0 to 4294967295, got '-1'");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    value: v\n  - key: k\n    "
                       "value: v\n"),
            "test.yaml:5: duplicate descriptor composite key 'd.k_v'");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    colour: red\n"),
            "test.yaml:4: unknown field 'colour' in a descriptor (known there: key, value, "
            "rate_limit, descriptors, shadow_mode, quota_mode, detailed_metric, value_to_metric, "
            "share_threshold, metadata)");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    rate_limit:\n      unit: "
                       "second\n      name: n\n      replaces:\n        - name: n\n"),
            "test.yaml:4: replaces should not contain name of same descriptor");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    rate_limit:\n      unit: "
                       "second\n      replaces:\n        - name:\n"),
            "test.yaml:7: should not have an empty replaces entry");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: k\n    value: v\n    "
                       "share_threshold: true\n"),
            "test.yaml:3: share_threshold can only be used with wildcard values (containing "
            "'*'), but found key 'k_v'");
  EXPECT_EQ(load_error("domain: d\ndescriptors:\n  - key: [k\n").substr(0, 30),
            "test.yaml:4: YAML syntax error");
  EXPECT_EQ(load_error(""), "test.yaml:1: empty file: expected 'domain' and 'descriptors'");
}

TEST(RlsConfig, ADescriptorListContainingItselfIsRefused) {
  const std::string error =
      load_error("domain: d\ndescriptors: &a\n  - key: k\n    descriptors: *a\n");
  EXPECT_NE(error.find("descriptors nested deeper than 32 levels"), std::string::npos) << error;
}

TEST(RlsConfig, KnownFieldsOutOfPlaceAreIgnoredWithAWarning) {
  RlsConfigLoad load = parse_rls_config(R"(domain: d
unit: second
descriptors:
  - key: k
    quota_mode: true
    rate_limit: {unit: second, requests_per_unit: 1}
)",
                                        "w.yaml");
  ASSERT_TRUE(load.ok()) << load.error;
  ASSERT_EQ(load.warnings.size(), 2u);
  EXPECT_EQ(load.warnings[0], "w.yaml:2: field 'unit' has no meaning in the top level; ignored");
  EXPECT_EQ(load.warnings[1], "w.yaml:5: quota_mode is not supported by drl; the rule is enforced");
}

class RlsConfigDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("drl-rls-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(RlsConfigDir, LoadsEveryYamlFileOfADirectory) {
  write("a.yaml",
        "domain: one\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, "
        "requests_per_unit: 1}\n");
  write("b.yml", "domain: two\ndescriptors: []\n");
  write(".hidden.yaml", "garbage: [\n");
  write("notes.txt", "garbage: [\n");
  RlsConfigLoad load = load_rls_config(dir_.string());
  ASSERT_TRUE(load.ok()) << load.error;
  EXPECT_NE(load.config->find("one"), nullptr);
  EXPECT_NE(load.config->find("two"), nullptr);
  EXPECT_EQ(load.config->domains().size(), 2u);
}

TEST_F(RlsConfigDir, ADomainTwiceIsAnError) {
  write("a.yaml", "domain: one\n");
  write("b.yaml", "domain: one\n");
  RlsConfigLoad load = load_rls_config(dir_.string());
  ASSERT_FALSE(load.ok());
  EXPECT_EQ(load.error, (dir_ / "b.yaml").string() + ":1: duplicate domain 'one' (also in " +
                            (dir_ / "a.yaml").string() + ")");
}

TEST_F(RlsConfigDir, AMissingFileIsAnError) {
  RlsConfigLoad load = load_rls_config((dir_ / "absent.yaml").string());
  ASSERT_FALSE(load.ok());
  EXPECT_EQ(load.error, (dir_ / "absent.yaml").string() + ": cannot open the file");
}

TEST_F(RlsConfigDir, ABadReloadKeepsTheCurrentConfig) {
  write("a.yaml", "domain: one\n");
  RlsConfigBook book;
  EXPECT_EQ(book.current(), nullptr);
  ASSERT_EQ(book.load(dir_.string()), "");
  const auto before = book.current();
  ASSERT_NE(before, nullptr);
  write("a.yaml", "domain: one\ndescriptors:\n  - key: k\n    rate_limit: {unit: eon}\n");
  EXPECT_EQ(book.reload(), (dir_ / "a.yaml").string() +
                               ":4: invalid rate limit unit 'eon' (use second, minute, hour, day, "
                               "week, month or year)");
  EXPECT_EQ(book.current(), before);
  write("a.yaml", "domain: two\n");
  ASSERT_EQ(book.reload(), "");
  EXPECT_NE(book.current()->find("two"), nullptr);
  EXPECT_EQ(book.current()->find("one"), nullptr);
}

// Garbage never crashes the loader and never loads half a file: either a config or an error
// naming file:line.
TEST(RlsConfig, GarbageNeverCrashes) {
  const std::string alphabet =
      "domain:descriptors:key:value:rate_limit:unit:second "
      "requests_per_unit: 12*-[]{},\n  \t#&!|>'\"\\\0";
  std::mt19937_64 rng(12345);
  const std::string base = kMessaging;
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0:
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1 + rng() % 5);
          break;
        default:
          if (at < text.size()) text[at] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    RlsConfigLoad load = parse_rls_config(text, "g.yaml");
    if (load.ok()) {
      EXPECT_TRUE(load.error.empty());
    } else {
      EXPECT_EQ(load.error.rfind("g.yaml:", 0), 0u) << load.error;
    }
  }
}

}  // namespace
}  // namespace drl::rls
