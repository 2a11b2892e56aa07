// ViewPublisher on its own: when a view is published, what it holds, the settle times asked
// for, and a joiner's wait for the cluster it joins.
#include <gtest/gtest.h>

#include "cluster/view_publisher.h"

namespace drl::cluster {
namespace {

membership::Member member(const std::string& id, membership::MemberState state) {
  membership::Member m;
  m.info.id = id;
  m.info.address = id + ":7000";
  m.state = state;
  return m;
}

const ring::Member kSelf{"b", "b:7000"};

TEST(ViewPublisher, AFounderPublishesItselfAtOnceAndEventsAfterTheirSettleTime) {
  ViewPublisher p(kSelf, /*waits_for_seeds=*/false);
  auto first = p.publish(false);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->alive, std::vector<ring::Member>{kSelf});
  EXPECT_FALSE(p.publish(false)) << "an unchanged view is not published again";
  // One settle for a burst of events; the later ones ask for none.
  EXPECT_EQ(p.observe(member("c", membership::MemberState::kAlive)), 5 * kMillisecond);
  EXPECT_EQ(p.observe(member("a", membership::MemberState::kSuspect)), std::nullopt);
  auto view = p.settle_timer_fired();
  ASSERT_TRUE(view);
  EXPECT_EQ(view->alive, (std::vector<ring::Member>{{"a", "a:7000"}, kSelf, {"c", "c:7000"}}));
  EXPECT_EQ(view->states.at("a"), "suspect");
  EXPECT_EQ(view->states.at("c"), "alive");
  EXPECT_TRUE(p.joined());
  EXPECT_EQ(p.live_addresses(), (std::set<std::string>{"a:7000", "c:7000"}));
  // A dead member leaves the view.
  EXPECT_EQ(p.observe(member("a", membership::MemberState::kDead)), 5 * kMillisecond);
  view = p.settle_timer_fired();
  ASSERT_TRUE(view);
  EXPECT_EQ(view->alive, (std::vector<ring::Member>{kSelf, {"c", "c:7000"}}));
  EXPECT_FALSE(view->states.contains("a"));
}

TEST(ViewPublisher, AJoinerWaitsForAnotherMemberUnlessForced) {
  ViewPublisher p(kSelf, /*waits_for_seeds=*/true);
  EXPECT_FALSE(p.publish(false)) << "a joiner must not serve as a cluster of one yet";
  EXPECT_FALSE(p.published());
  EXPECT_EQ(p.observe(member("a", membership::MemberState::kAlive)), 20 * kMillisecond)
      << "the first view settles longer";
  auto view = p.settle_timer_fired();
  ASSERT_TRUE(view);
  EXPECT_EQ(view->alive.size(), 2u);
  EXPECT_TRUE(p.published());

  ViewPublisher alone(kSelf, true);
  EXPECT_FALSE(alone.joined());
  auto forced = alone.publish(true);  // the join wait ended
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->alive, std::vector<ring::Member>{kSelf});
}

}  // namespace
}  // namespace drl::cluster
