// The test-only peer fault filter: which traffic it drops or delays, and what it refuses.
#include "service/peer_fault_filter.h"

#include <gtest/gtest.h>

namespace drl::service {
namespace {

using std::chrono::milliseconds;

TEST(PeerFaultFilter, PassesEverythingWithoutFaults) {
  PeerFaultFilter f;
  EXPECT_TRUE(f.verdict("n2", "127.0.0.1:7701").pass());
  EXPECT_TRUE(f.verdict("", "").pass());
  EXPECT_EQ(f.size(), 0u);
}

TEST(PeerFaultFilter, MatchesAPeerByIdOrAddress) {
  PeerFaultFilter f;
  ASSERT_EQ(f.set({{"n2", true, milliseconds(0)}, {"127.0.0.1:7703", false, milliseconds(40)}}),
            "");
  EXPECT_TRUE(f.verdict("n2", "").drop);
  EXPECT_TRUE(f.verdict("", "127.0.0.1:7702").pass()) << "n2's address was not named";
  EXPECT_EQ(f.verdict("n3", "127.0.0.1:7703").delay, milliseconds(40));
  EXPECT_FALSE(f.verdict("n3", "127.0.0.1:7703").drop);
  EXPECT_TRUE(f.verdict("n4", "127.0.0.1:7704").pass());
}

TEST(PeerFaultFilter, EmptyPeerMeansEveryPeer) {
  PeerFaultFilter f;
  ASSERT_EQ(f.set({{"", true, milliseconds(0)}}), "");
  EXPECT_TRUE(f.verdict("n9", "10.0.0.9:1").drop);
  EXPECT_TRUE(f.verdict("", "").drop);
}

TEST(PeerFaultFilter, DropWinsAndTheLongestDelayApplies) {
  PeerFaultFilter f;
  ASSERT_EQ(f.set({{"", false, milliseconds(10)}, {"n2", false, milliseconds(30)}}), "");
  EXPECT_EQ(f.verdict("n2", "").delay, milliseconds(30));
  EXPECT_EQ(f.verdict("n3", "").delay, milliseconds(10));
  ASSERT_EQ(f.set({{"", false, milliseconds(10)}, {"n2", true, milliseconds(0)}}), "");
  const auto v = f.verdict("n2", "");
  EXPECT_TRUE(v.drop);
  EXPECT_EQ(v.delay, milliseconds(0)) << "a dropped frame is not also held";
}

TEST(PeerFaultFilter, CountsEveryDropAcrossHeals) {
  PeerFaultFilter f;
  EXPECT_EQ(f.drops(), 0u);
  ASSERT_EQ(f.set({{"n2", true, milliseconds(0)}, {"n3", false, milliseconds(20)}}), "");
  EXPECT_TRUE(f.verdict("n2", "").drop);
  EXPECT_TRUE(f.verdict("n2", "").drop);
  EXPECT_FALSE(f.verdict("n3", "").drop);  // a delay is not a drop
  EXPECT_TRUE(f.verdict("n4", "").pass());
  EXPECT_EQ(f.drops(), 2u);
  ASSERT_EQ(f.set({}), "");
  EXPECT_TRUE(f.verdict("n2", "").pass());
  EXPECT_EQ(f.drops(), 2u) << "healing keeps the count";
}

TEST(PeerFaultFilter, AnEmptySetHeals) {
  PeerFaultFilter f;
  ASSERT_EQ(f.set({{"n2", true, milliseconds(0)}}), "");
  ASSERT_EQ(f.set({}), "");
  EXPECT_TRUE(f.verdict("n2", "").pass());
  EXPECT_EQ(f.size(), 0u);
}

TEST(PeerFaultFilter, RefusesBadFaultsAndKeepsTheCurrentOnes) {
  PeerFaultFilter f;
  ASSERT_EQ(f.set({{"n2", true, milliseconds(0)}}), "");
  const auto too_long = f.set({{"n3", false, kMaxFaultDelay + milliseconds(1)}});
  EXPECT_NE(too_long.find("delay"), std::string::npos) << too_long;
  const auto nothing = f.set({{"n3", false, milliseconds(0)}});
  EXPECT_NE(nothing.find("neither drops nor delays"), std::string::npos) << nothing;
  EXPECT_NE(f.set({{std::string(300, 'x'), true, milliseconds(0)}}), "");
  EXPECT_NE(f.set(std::vector<PeerFault>(kMaxPeerFaults + 1, {"n3", true, milliseconds(0)})), "");
  EXPECT_TRUE(f.verdict("n2", "").drop) << "a refused set must not change the faults in force";
  EXPECT_TRUE(f.verdict("n3", "").pass());
  EXPECT_EQ(f.size(), 1u);
}

}  // namespace
}  // namespace drl::service
