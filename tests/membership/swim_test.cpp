// Unit tests of the Swim core driven by hand: precedence rules, refutation, probing,
// leave, packet budget; plus the broadcast queue and Lifeguard's suspicion timer.
#include "membership/swim.h"

#include <gtest/gtest.h>

#include "membership/gossip_codec.h"

namespace drl::membership {
namespace {

constexpr TimePoint kT0 = 1'700'000'000 * kSecond;

MemberInfo info(const std::string& id) { return MemberInfo{id, id + ":7000", {}}; }

Update alive(const std::string& id, Incarnation inc) {
  return Update{id, id + ":7000", MemberState::kAlive, inc, {}, {}};
}
Update with_state(Update u, MemberState s, std::string from) {
  u.state = s;
  u.from = std::move(from);
  return u;
}

Message gossip(const std::string& from, std::vector<Update> updates) {
  return Message{from, from + ":7000", Gossip{}, std::move(updates)};
}

class SwimTest : public ::testing::Test {
 protected:
  Random random_{42};
  Swim swim_{Config{}, info("a"), random_, kT0};
};

TEST_F(SwimTest, LearnsMembersAndAppliesIncarnationPrecedence) {
  swim_.receive(gossip("b", {alive("b", 3)}), kT0);
  ASSERT_NE(swim_.find("b"), nullptr);
  EXPECT_EQ(swim_.find("b")->incarnation, 3u);
  auto events = swim_.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::kJoined);

  // Older alive is ignored; suspect at the same incarnation wins over alive.
  swim_.receive(gossip("c", {alive("b", 2)}), kT0);
  EXPECT_EQ(swim_.find("b")->incarnation, 3u);
  swim_.receive(gossip("c", {with_state(alive("b", 3), MemberState::kSuspect, "c")}), kT0);
  EXPECT_EQ(swim_.find("b")->state, MemberState::kSuspect);
  // Alive at the same incarnation does not clear suspicion; a higher one does.
  swim_.receive(gossip("c", {alive("b", 3)}), kT0);
  EXPECT_EQ(swim_.find("b")->state, MemberState::kSuspect);
  swim_.receive(gossip("b", {alive("b", 4)}), kT0);
  EXPECT_EQ(swim_.find("b")->state, MemberState::kAlive);
  // Dead beats alive at the same incarnation; stale alive cannot resurrect it.
  swim_.receive(gossip("c", {with_state(alive("b", 4), MemberState::kDead, "c")}), kT0);
  EXPECT_EQ(swim_.find("b")->state, MemberState::kDead);
  swim_.receive(gossip("c", {alive("b", 4)}), kT0);
  EXPECT_EQ(swim_.find("b")->state, MemberState::kDead);
  swim_.receive(gossip("b", {alive("b", 5)}), kT0);
  EXPECT_EQ(swim_.find("b")->state, MemberState::kAlive);
  std::vector<EventKind> kinds;
  for (const auto& e : swim_.take_events()) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<EventKind>{EventKind::kSuspect, EventKind::kAlive, EventKind::kDead,
                                           EventKind::kAlive}));
}

TEST_F(SwimTest, RefutesSuspicionAboutItselfWithHigherIncarnation) {
  swim_.receive(gossip("b", {alive("b", 0)}), kT0);
  swim_.receive(gossip("b", {with_state(alive("a", 0), MemberState::kSuspect, "b")}), kT0);
  EXPECT_EQ(swim_.self().incarnation, 1u);
  EXPECT_EQ(swim_.self().state, MemberState::kAlive);
  EXPECT_GT(swim_.health(), 0);  // Lifeguard: being suspected raises the health score
  // The refutation is piggy-backed on the next packet.
  swim_.tick(kT0 + kSecond);
  bool refuted = false;
  for (const auto& out : swim_.take_outbox()) {
    for (const auto& u : out.message.updates) {
      refuted |= u.id == "a" && u.state == MemberState::kAlive && u.incarnation == 1;
    }
  }
  EXPECT_TRUE(refuted);
}

TEST_F(SwimTest, ProbeWithoutAckLeadsToIndirectProbesThenSuspicionThenDeath) {
  swim_.receive(gossip("b", {alive("b", 0)}), kT0);
  swim_.receive(gossip("c", {alive("c", 0)}), kT0);
  swim_.receive(gossip("d", {alive("d", 0)}), kT0);
  swim_.take_events();
  TimePoint now = kT0;
  std::string target;
  int ping_reqs = 0;
  // Nobody ever answers: every probe fails and every target is eventually declared dead.
  for (; now < kT0 + 60 * kSecond; now += 10 * kMillisecond) {
    swim_.tick(now);
    for (const auto& out : swim_.take_outbox()) {
      ping_reqs += std::holds_alternative<PingReq>(out.message.body);
    }
  }
  EXPECT_GT(ping_reqs, 0);
  int dead = 0;
  for (const auto& e : swim_.take_events()) dead += e.kind == EventKind::kDead;
  EXPECT_EQ(dead, 3);
  EXPECT_EQ(swim_.alive_members().size(), 1u);
}

TEST_F(SwimTest, AnswersPingWithAckAndIgnoresPingForAnotherId) {
  swim_.receive(Message{"b", "b:7000", Ping{7, "a"}, {}}, kT0);
  auto out = swim_.take_outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, "b:7000");
  ASSERT_TRUE(std::holds_alternative<Ack>(out[0].message.body));
  EXPECT_EQ(std::get<Ack>(out[0].message.body).seq, 7u);
  swim_.receive(Message{"b", "b:7000", Ping{8, "someone-else"}, {}}, kT0);
  EXPECT_TRUE(swim_.take_outbox().empty());
}

TEST_F(SwimTest, JoinIsAPushPullWithASeedAndTheReplyMerges) {
  swim_.join({"seed:7000"}, kT0);
  auto out = swim_.take_outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transport, Transport::kTcpSync);
  EXPECT_FALSE(swim_.joined());
  Random r2(7);
  Swim seed(Config{}, MemberInfo{"s", "seed:7000", {}}, r2, kT0);
  auto reply = seed.answer_sync(out[0].message, kT0);
  ASSERT_TRUE(reply.has_value());
  EXPECT_NE(seed.find("a"), nullptr);
  swim_.receive(*reply, kT0);
  EXPECT_TRUE(swim_.joined());
  EXPECT_NE(swim_.find("s"), nullptr);
  // Alive members are sorted by id and include self.
  auto alive_now = swim_.alive_members();
  ASSERT_EQ(alive_now.size(), 2u);
  EXPECT_EQ(alive_now[0].info.id, "a");
  EXPECT_EQ(alive_now[1].info.id, "s");
}

TEST_F(SwimTest, LeaveTellsEveryLiveMemberAndGoesQuiet) {
  swim_.receive(gossip("b", {alive("b", 0)}), kT0);
  swim_.receive(gossip("c", {alive("c", 0)}), kT0);
  swim_.take_outbox();
  swim_.leave(kT0);
  auto out = swim_.take_outbox();
  EXPECT_EQ(out.size(), 2u);
  Random r2(7);
  Swim b(Config{}, info("b"), r2, kT0);
  b.receive(gossip("a", {alive("a", 0)}), kT0);
  b.receive(out[0].message, kT0);
  EXPECT_EQ(b.find("a")->state, MemberState::kLeft);
  swim_.tick(kT0 + 10 * kSecond);
  EXPECT_TRUE(swim_.take_outbox().empty());
}

TEST_F(SwimTest, PiggyBackFitsTheDatagramEvenWithManyUpdates) {
  for (int i = 0; i < 300; ++i) {
    Update u = alive("member-with-a-long-name-" + std::to_string(i), 1);
    u.meta.tags = {{"zone", "eu-west-1a"}, {"role", "limiter"}};
    swim_.receive(gossip("x", {u}), kT0);
  }
  swim_.receive(Message{"b", "b:7000", Ping{1, "a"}, {}}, kT0);
  auto out = swim_.take_outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_GT(out[0].message.updates.size(), 5u);
  GossipCodec codec(std::make_shared<Sealer>(KeyRing{{ClusterKey{}}}, Sealer::NoncePrefix{}));
  const std::string bytes = codec.encode(out[0].message, 1400);
  EXPECT_LE(bytes.size(), 1400u);
  EXPECT_EQ(codec.stats().updates_trimmed, 0u);  // the core's own budget already fits
}

TEST(BroadcastQueue, LeastTransmittedFirstAndRetiredAfterTheLimit) {
  BroadcastQueue q;
  q.enqueue(alive("a", 1));
  q.enqueue(alive("b", 1));
  auto first = q.take(40, 2);  // room for one: the newest
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, "b");
  auto second = q.take(40, 2);  // "a" has been sent fewer times
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, "a");
  q.take(1000, 2);
  EXPECT_EQ(q.size(), 0u);
  q.enqueue(alive("a", 1));
  q.enqueue(alive("a", 2));  // replaces
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.find("a")->incarnation, 2u);
}

TEST(Suspicion, TimeoutShrinksWithIndependentConfirmations) {
  Suspicion s(1, "x", 2, 2 * kSecond, 12 * kSecond, kT0);
  EXPECT_EQ(s.deadline(), kT0 + 12 * kSecond);
  EXPECT_FALSE(s.confirm("x"));  // the first suspecter is not a confirmation
  EXPECT_TRUE(s.confirm("y"));
  EXPECT_FALSE(s.confirm("y"));
  const TimePoint one = s.deadline();
  EXPECT_LT(one, kT0 + 12 * kSecond);
  EXPECT_GT(one, kT0 + 2 * kSecond);
  EXPECT_TRUE(s.confirm("z"));
  EXPECT_EQ(s.deadline(), kT0 + 2 * kSecond);
  EXPECT_FALSE(s.confirm("w"));  // no further shrinking below min
  Suspicion tiny(1, "x", 0, 2 * kSecond, 12 * kSecond, kT0);
  EXPECT_EQ(tiny.deadline(), kT0 + 2 * kSecond);
}

}  // namespace
}  // namespace drl::membership

namespace drl::membership {
namespace {

TEST_F(SwimTest, EventsNameWhoSuspectedAndWhoDeclaredDeath) {
  swim_.receive(gossip("b", {alive("b", 1)}), kT0);
  swim_.receive(gossip("c", {alive("c", 1)}), kT0);
  swim_.take_events();
  swim_.receive(gossip("c", {with_state(alive("b", 1), MemberState::kSuspect, "c")}), kT0);
  auto events = swim_.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::kSuspect);
  EXPECT_EQ(events[0].by, "c");
  swim_.receive(gossip("d", {with_state(alive("b", 1), MemberState::kDead, "d")}), kT0);
  events = swim_.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::kDead);
  EXPECT_EQ(events[0].by, "d");
}

}  // namespace
}  // namespace drl::membership
