// The events a node logs from its own samples: a ring change with the share before and after,
// a hand-off's start and end, an overload's start and end; nothing when nothing changed.
#include "service/cluster_watch.h"

#include <gtest/gtest.h>

namespace drl::service {
namespace {

WatchSample sample(Nanos at, uint64_t epoch, double share) {
  WatchSample s;
  s.at = at;
  s.cluster_answered = true;
  s.epoch = epoch;
  s.members = 3;
  s.ring_share = share;
  return s;
}

std::string field(const WatchEvent& e, const std::string& key) {
  for (const auto& [k, v] : e.fields) {
    if (k == key) return v;
  }
  return "(none)";
}

TEST(ClusterWatch, RingChangeNamesTheEpochInHexAndTheShareBeforeAndAfter) {
  ClusterWatch w;
  auto events = w.observe(sample(0, 0x9787b9aaa41a1412, 1.0 / 3));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "ring_changed");
  EXPECT_EQ(field(events[0], "epoch"), "9787b9aaa41a1412");
  EXPECT_TRUE(w.observe(sample(kSecond, 0x9787b9aaa41a1412, 1.0 / 3)).empty());
  events = w.observe(sample(2 * kSecond, 0x12, 0.5));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(field(events[0], "epoch"), "0000000000000012");
  EXPECT_EQ(field(events[0], "epoch_before"), "9787b9aaa41a1412");
  EXPECT_EQ(field(events[0], "share_before"), "0.3333");
  EXPECT_EQ(field(events[0], "share"), "0.5000");
  EXPECT_NE(events[0].message.find("33.3% -> 50.0%"), std::string::npos) << events[0].message;
}

TEST(ClusterWatch, HandoffStartsAndFinishesWithItsDurationAndRecords) {
  ClusterWatch w;
  w.observe(sample(0, 1, 0.5));
  auto s = sample(kSecond, 1, 0.5);
  s.handoff_pending = true;
  s.handoff_records_installed = 10;
  auto events = w.observe(s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "handoff_started");
  EXPECT_TRUE(w.handoff_in_progress());
  s.at = 3 * kSecond + kSecond / 2;
  s.handoff_pending = false;
  s.handoff_records_installed = 25;
  events = w.observe(s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "handoff_finished");
  EXPECT_EQ(field(events[0], "seconds"), "2.500");
  EXPECT_EQ(field(events[0], "records"), "15");
  EXPECT_FALSE(w.handoff_in_progress());
}

TEST(ClusterWatch, OverloadEntersAndLeavesWithTheChecksShed) {
  ClusterWatch w;
  WatchSample s;  // the cluster did not answer: only the overload is looked at
  s.overloaded = true;
  s.shed_checks = 5;
  auto events = w.observe(s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "overload_entered");
  EXPECT_EQ(events[0].level, spdlog::level::warn);
  s.at = kSecond;
  s.overloaded = false;
  s.shed_checks = 105;
  events = w.observe(s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "overload_left");
  EXPECT_EQ(field(events[0], "shed_checks"), "100");
}

}  // namespace
}  // namespace drl::service
