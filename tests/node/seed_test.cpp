// `drl node --join`: literal and dns+ seeds, repeated or comma-separated, and the seeds
// refused with a sentence.
#include "node/seed.h"

#include <gtest/gtest.h>

namespace drl::node {
namespace {

TEST(Seed, LiteralAndDnsSeedsMix) {
  auto seeds = parse_seeds({"10.0.0.1:7000,dns+drl-peers:7000", "dns+localhost:7001"});
  ASSERT_TRUE(seeds) << seeds.status().message();
  ASSERT_EQ(seeds->size(), 3u);
  EXPECT_FALSE((*seeds)[0].dns);
  EXPECT_EQ((*seeds)[0].text, "10.0.0.1:7000");
  EXPECT_TRUE((*seeds)[1].dns);
  EXPECT_EQ((*seeds)[1].at.host, "drl-peers");
  EXPECT_EQ((*seeds)[1].at.port, 7000);
  EXPECT_EQ((*seeds)[2].text, "dns+localhost:7001");
  auto v6 = parse_seed("dns+[fd00::1]:7000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->at.host, "fd00::1");
}

TEST(Seed, UnusableSeedsAreRefusedWithASentence) {
  for (const char* bad : {"dns+:7000", "dns+0.0.0.0:7000", "dns+name", "dns+name:0", "host:x"}) {
    auto s = parse_seed(bad);
    EXPECT_FALSE(s) << bad;
    if (!s) {
      EXPECT_NE(s.status().message(), "") << bad;
    }
  }
  EXPECT_FALSE(parse_seeds({"10.0.0.1:7000,dns+:7000"}));
}

}  // namespace
}  // namespace drl::node
