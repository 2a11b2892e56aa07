// drl bench's key choice: draws cover the whole --keys space, Zipf draws follow their law,
// the distinct-key count is exact (or a close estimate), and patched request bodies are the
// bytes protobuf would write.
#include "cli/bench_keys.h"

#include <gtest/gtest.h>

#include <cmath>

namespace drl::cli {
namespace {

double expected_distinct(double keys, double draws) { return keys * (1 - std::exp(-draws / keys)); }

TEST(KeyDistribution, ParsesUniformAndZipfAndRefusesTheRest) {
  KeyDistribution d;
  EXPECT_EQ(parse_key_distribution("uniform", d), "");
  EXPECT_EQ(d.kind, KeyDistribution::Kind::kUniform);
  EXPECT_EQ(parse_key_distribution("zipf:0.99", d), "");
  EXPECT_EQ(d.kind, KeyDistribution::Kind::kZipf);
  EXPECT_DOUBLE_EQ(d.exponent, 0.99);
  EXPECT_EQ(key_distribution_name(d), "zipf:0.99");
  EXPECT_EQ(parse_key_distribution("sequential", d), "");
  EXPECT_EQ(d.kind, KeyDistribution::Kind::kSequential);
  EXPECT_EQ(key_distribution_name(d), "sequential");
  for (const char* bad : {"", "zipf", "zipf:", "zipf:0", "zipf:-1", "zipf:11", "zipf:1x",
                          "zipf:nan", "gauss", "Uniform", "sequential:1"}) {
    EXPECT_NE(parse_key_distribution(bad, d), "") << bad;
  }
}

TEST(KeyPicker, UniformDrawsCoverTheWholeSpace) {
  constexpr uint64_t kKeys = 100000, kDraws = 200000;
  KeyPicker picker(kKeys, {}, 7);
  DistinctKeys distinct(kKeys);
  for (uint64_t i = 0; i < kDraws; ++i) {
    const uint64_t k = picker.next();
    ASSERT_LT(k, kKeys);
    distinct.mark(k);
  }
  const double expected = expected_distinct(kKeys, kDraws);
  EXPECT_NEAR(static_cast<double>(distinct.count()), expected, 0.01 * expected);
}

// Pickers made from one parsed distribution (one per connection) share its cursor: together
// they ask for every key once before any key twice.
TEST(KeyPicker, SequentialPickersTogetherVisitEveryKeyOnceThenWrap) {
  constexpr uint64_t kKeys = 1000;
  KeyDistribution d;
  ASSERT_EQ(parse_key_distribution("sequential", d), "");
  KeyPicker a(kKeys, d, 1), b(kKeys, d, 2);
  DistinctKeys distinct(kKeys);
  for (uint64_t i = 0; i < kKeys; ++i) distinct.mark(i % 3 == 0 ? a.next() : b.next());
  EXPECT_EQ(distinct.count(), kKeys);
  EXPECT_EQ(a.next(), 0u);
  EXPECT_EQ(b.next(), 1u);
}

TEST(KeyPicker, ZipfDrawsFollowTheirLaw) {
  constexpr uint64_t kKeys = 1000, kDraws = 400000;
  for (const double s : {0.5, 0.99, 1.0, 1.2, 2.0}) {
    KeyPicker picker(kKeys, {.kind = KeyDistribution::Kind::kZipf, .exponent = s}, 11);
    std::vector<uint64_t> counts(kKeys);
    for (uint64_t i = 0; i < kDraws; ++i) {
      const uint64_t k = picker.next();
      ASSERT_LT(k, kKeys) << "s=" << s;
      ++counts[k];
    }
    double norm = 0;
    for (uint64_t k = 1; k <= kKeys; ++k) norm += std::pow(static_cast<double>(k), -s);
    // The ten hottest ranks, and the mass of the coldest half, within 5 standard deviations.
    for (uint64_t k = 1; k <= 10; ++k) {
      const double p = std::pow(static_cast<double>(k), -s) / norm;
      const double sd = std::sqrt(kDraws * p * (1 - p));
      EXPECT_NEAR(static_cast<double>(counts[k - 1]), kDraws * p, 5 * sd + 1)
          << "s=" << s << " rank " << k;
    }
    double cold_p = 0;
    uint64_t cold = 0;
    for (uint64_t k = kKeys / 2 + 1; k <= kKeys; ++k) {
      cold_p += std::pow(static_cast<double>(k), -s) / norm;
      cold += counts[k - 1];
    }
    const double sd = std::sqrt(kDraws * cold_p * (1 - cold_p));
    EXPECT_NEAR(static_cast<double>(cold), kDraws * cold_p, 5 * sd + 1) << "s=" << s;
  }
}

TEST(KeyPicker, OneKeyAndHugeSpacesStayInRange) {
  KeyPicker one(1, {.kind = KeyDistribution::Kind::kZipf, .exponent = 1.1}, 3);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(one.next(), 0u);
  KeyPicker huge(uint64_t{1} << 40, {.kind = KeyDistribution::Kind::kZipf, .exponent = 0.8}, 3);
  for (int i = 0; i < 100000; ++i) ASSERT_LT(huge.next(), uint64_t{1} << 40);
}

TEST(DistinctKeys, CountsExactlyUpToItsLimitAndEstimatesAbove) {
  DistinctKeys exact(1000);
  EXPECT_TRUE(exact.exact());
  for (uint64_t k : {0, 5, 5, 999, 64, 63}) exact.mark(k);
  EXPECT_EQ(exact.count(), 5u);

  DistinctKeys estimated(DistinctKeys::kExactKeys * 4);
  EXPECT_FALSE(estimated.exact());
  constexpr uint64_t kMarked = 3000000;
  for (uint64_t k = 0; k < kMarked; ++k) estimated.mark(k * 17 + 3);
  EXPECT_NEAR(static_cast<double>(estimated.count()), kMarked, 0.01 * kMarked);
}

TEST(BenchKey, IsZeroPaddedToTheWidthOfTheLastKey) {
  EXPECT_EQ(bench_key(0, 1), "bench:0");
  EXPECT_EQ(bench_key(7, 10), "bench:7");
  EXPECT_EQ(bench_key(7, 11), "bench:07");
  EXPECT_EQ(bench_key(123, 1000000), "bench:000123");
  EXPECT_EQ(bench_key(999999, 1000000), "bench:999999");
}

TEST(CheckBodyTemplate, PatchesEachChecksKeyAndKeepsTheRest) {
  wire::Check check;
  check.set_policy("bench:00000");  // a policy named like a key is not mistaken for one
  check.set_cost(3);
  check.set_shadow(true);
  constexpr uint64_t kKeys = 100000;
  CheckBodyTemplate body_template(check, 5, kKeys);
  KeyPicker picker(kKeys, {}, 5), same(kKeys, {}, 5);
  DistinctKeys distinct(kKeys);
  for (int round = 0; round < 50; ++round) {
    wire::CheckRequest request;
    ASSERT_TRUE(request.ParseFromString(body_template.next(picker, distinct)));
    ASSERT_EQ(request.checks_size(), 5);
    for (const auto& c : request.checks()) {
      EXPECT_EQ(c.key(), bench_key(same.next(), kKeys));
      EXPECT_EQ(c.policy(), "bench:00000");
      EXPECT_EQ(c.cost(), 3u);
      EXPECT_TRUE(c.shadow());
      wire::Check rebuilt = check;
      rebuilt.set_key(c.key());
      EXPECT_EQ(c.SerializeAsString(), rebuilt.SerializeAsString());
    }
  }
  EXPECT_GT(distinct.count(), 200u);
}

}  // namespace
}  // namespace drl::cli
