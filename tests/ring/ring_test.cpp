#include "ring/ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "common/key_hash.h"
#include "common/random.h"

namespace drl::ring {
namespace {

std::vector<Member> members_named(size_t n, size_t first = 0) {
  std::vector<Member> out;
  for (size_t i = first; i < first + n; ++i) {
    out.push_back({"node-" + std::to_string(i), "10.0.0." + std::to_string(i) + ":7001"});
  }
  return out;
}

uint64_t test_seed() {
  const char* env = std::getenv("DRL_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20261129;
}

TEST(RingTest, EmptyRingOwnsNothing) {
  Ring ring;
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.epoch(), 0u);
  EXPECT_TRUE(ring.preference_list(42, 3).empty());
  EXPECT_TRUE(ring.owned_ranges("node-0").empty());
}

TEST(RingTest, SameMembersInAnyOrderGiveTheSameRingAndEpoch) {
  auto members = members_named(7);
  Ring a(members);
  std::reverse(members.begin(), members.end());
  members.push_back(members.front());  // a duplicate id is dropped
  Ring b(members);
  EXPECT_EQ(a.epoch(), b.epoch());
  ASSERT_EQ(a.size(), 7u);
  ASSERT_EQ(b.size(), 7u);
  Random rng(test_seed());
  for (int i = 0; i < 1000; ++i) {
    const uint64_t h = rng();
    EXPECT_EQ(a.member(a.owner(h)).id, b.member(b.owner(h)).id) << "seed " << test_seed();
  }
}

TEST(RingTest, EpochChangesWithMembershipAndAddress) {
  Ring a(members_named(5));
  Ring b(members_named(6));
  auto moved = members_named(5);
  moved[2].address = "10.9.9.9:7001";
  Ring c(moved);
  EXPECT_NE(a.epoch(), b.epoch());
  EXPECT_NE(a.epoch(), c.epoch());
  EXPECT_NE(a.epoch(), Ring(members_named(5), 64).epoch());
}

TEST(RingTest, PreferenceListIsOwnerThenDistinctSuccessorsCappedBySize) {
  Ring ring(members_named(5));
  Random rng(test_seed());
  for (int i = 0; i < 1000; ++i) {
    const uint64_t h = rng();
    const auto list = ring.preference_list(h, 3);
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0], ring.owner(h));
    EXPECT_EQ(std::set<MemberIndex>(list.begin(), list.end()).size(), 3u);
    EXPECT_EQ(ring.preference_list(h, 9).size(), 5u);
  }
  EXPECT_EQ(Ring(members_named(1)).preference_list(7, 3).size(), 1u);
}

TEST(RingTest, PreferenceListSuccessorsTakeOverWhenTheOwnerLeaves) {
  // Removing the owner promotes the second member of the list: replicas already hold state.
  auto members = members_named(5);
  Ring full(members);
  Random rng(test_seed());
  for (int i = 0; i < 500; ++i) {
    const uint64_t h = rng();
    const auto list = full.preference_list(h, 3);
    auto rest = members;
    rest.erase(rest.begin() + list[0]);
    Ring without(rest);
    EXPECT_EQ(without.member(without.owner(h)).id, full.member(list[1]).id);
  }
}

TEST(RingTest, OwnedRangesPartitionTheSpaceAndAgreeWithOwner) {
  Ring ring(members_named(4), 16);
  Random rng(test_seed());
  double total = 0;
  for (const auto& m : ring.members()) {
    for (const HashRange& r : ring.owned_ranges(m.id)) {
      EXPECT_EQ(ring.member(ring.owner(r.lo)).id, m.id);
      EXPECT_EQ(ring.member(ring.owner(r.hi)).id, m.id);
    }
    total += ring.share(m.id);
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t h = rng();
    const std::string& id = ring.member(ring.owner(h)).id;
    int holders = 0;
    for (const auto& m : ring.members()) {
      for (const HashRange& r : ring.owned_ranges(m.id)) {
        if (r.contains(h)) {
          ++holders;
          EXPECT_EQ(m.id, id);
        }
      }
    }
    EXPECT_EQ(holders, 1) << "hash " << h << " seed " << test_seed();
  }
}

TEST(RingTest, SingleMemberOwnsTheWholeSpace) {
  Ring ring(members_named(1));
  const auto ranges = ring.owned_ranges("node-0");
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].lo, ranges[0].hi + 1);
  EXPECT_DOUBLE_EQ(ring.share("node-0"), 1.0);
}

TEST(RingTest, OwnerChangesDescribeExactlyTheMovedHashes) {
  Ring before(members_named(5));
  Ring after(members_named(6));  // node-5 joins
  const auto moves = owner_changes(before, after);
  ASSERT_FALSE(moves.empty());
  for (const auto& mv : moves) EXPECT_EQ(mv.to, "node-5");  // a join only takes ranges
  Random rng(test_seed());
  for (int i = 0; i < 5000; ++i) {
    const uint64_t h = rng();
    const std::string& from = before.member(before.owner(h)).id;
    const std::string& to = after.member(after.owner(h)).id;
    const auto it = std::find_if(moves.begin(), moves.end(),
                                 [&](const RangeMove& m) { return m.range.contains(h); });
    if (from == to) {
      EXPECT_EQ(it, moves.end());
    } else {
      ASSERT_NE(it, moves.end()) << "hash " << h << " seed " << test_seed();
      EXPECT_EQ(it->from, from);
      EXPECT_EQ(it->to, to);
    }
  }
  // Roughly 1/6 of the space moves to the newcomer, and nothing else moves.
  EXPECT_NEAR(after.share("node-5"), 1.0 / 6, 0.05);
  EXPECT_TRUE(owner_changes(before, before).empty());
}

TEST(RingTest, OwnerChangesFromAnEmptyRingNameNoPreviousOwner) {
  const auto moves = owner_changes(Ring(), Ring(members_named(2), 4));
  ASSERT_FALSE(moves.empty());
  for (const auto& mv : moves) EXPECT_EQ(mv.from, "");
}

// The balance claim of docs/design.md: with kDefaultVnodes the busiest member owns at most
// 1.2x the mean share. Ids are fixed, so this is deterministic; it prints the figures.
TEST(RingBalanceTest, BusiestMemberWithinTwentyPercentOfTheMean) {
  for (size_t n : {3u, 5u, 10u, 50u, 100u}) {
    Ring ring(members_named(n));
    double max_share = 0, min_share = 1;
    for (const auto& m : ring.members()) {
      max_share = std::max(max_share, ring.share(m.id));
      min_share = std::min(min_share, ring.share(m.id));
    }
    const double mean = 1.0 / static_cast<double>(n);
    std::printf("nodes=%zu vnodes=%u max/mean=%.3f min/mean=%.3f\n", n, ring.vnodes(),
                max_share / mean, min_share / mean);
    EXPECT_LE(max_share / mean, 1.2) << "nodes " << n;
  }
}

// Why kDefaultVnodes is 256: with fewer vnodes 100 members miss 1.2x. The ids are fixed, so
// the figures are exact; those for 100 members are the ones docs/design.md quotes
// ("Balance"), and the busiest member's share only grows as the vnodes fall.
TEST(RingBalanceTest, FewerVnodesMissTheBalanceAsDesignMdSays) {
  struct Expected {
    uint32_t vnodes;
    double max_over_mean_100;  // docs/design.md
  };
  double previous = 0;
  for (const Expected e : {Expected{128, 1.256}, Expected{64, 1.295}, Expected{32, 1.370}}) {
    for (size_t n : {5u, 100u}) {
      Ring ring(members_named(n), e.vnodes);
      double max_share = 0;
      for (const auto& m : ring.members()) max_share = std::max(max_share, ring.share(m.id));
      const double max_over_mean = max_share * static_cast<double>(n);
      std::printf("nodes=%zu vnodes=%u max/mean=%.3f\n", n, e.vnodes, max_over_mean);
      if (n != 100) continue;
      EXPECT_NEAR(max_over_mean, e.max_over_mean_100, 0.0005) << "vnodes " << e.vnodes;
      EXPECT_GT(max_over_mean, 1.2) << "vnodes " << e.vnodes;
      EXPECT_GT(max_over_mean, previous) << "vnodes " << e.vnodes;
      previous = max_over_mean;
    }
  }
}

}  // namespace
}  // namespace drl::ring
