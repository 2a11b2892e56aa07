// ClusterNode driven by hand, one message at a time: batching, the hop limit, fail-over
// timing, hand-off gating and bad input.
#include "cluster/cluster_node.h"

#include <gtest/gtest.h>

#include "common/key_hash.h"

namespace drl::cluster {
namespace {

constexpr TimePoint kT0 = 1'000'000 * kSecond;

ring::Member member(const std::string& id) { return {id, id + ":7946"}; }

limits::Limit fixed(uint64_t n) {
  limits::Limit l;
  l.algorithm = limits::Algorithm::kFixedWindow;
  l.limit = n;
  l.window = kSecond;
  return l;
}

// A key that `owner` owns on the ring of `members`.
std::string key_owned_by(const std::vector<ring::Member>& members, const std::string& owner) {
  ring::Ring r(members);
  for (int i = 0;; ++i) {
    std::string k = "key:" + std::to_string(i);
    if (r.member(r.owner(key_hash(k))).id == owner) return k;
  }
}

ClientCheck check(uint64_t token, std::string key, limits::Limit limit = fixed(10)) {
  ClientCheck c;
  c.client_token = token;
  c.key = std::move(key);
  c.limit = limit;
  return c;
}

struct TwoNodes : ::testing::Test {
  std::vector<ring::Member> members{member("a"), member("b")};
  store::Store store_a, store_b;
  ClusterNode a{member("a"), store_a};
  ClusterNode b{member("b"), store_b};
  void SetUp() override {
    a.set_view(members, kT0);
    b.set_view(members, kT0);
    // Complete the founders' hand-off (empty stores on both sides).
    for (int round = 0; round < 2; ++round) {
      for (auto& out : a.take_outgoing()) b.receive("a", std::move(out.message), kT0);
      for (auto& out : b.take_outgoing()) a.receive("b", std::move(out.message), kT0);
    }
    ASSERT_FALSE(a.handoff_pending());
    ASSERT_FALSE(b.handoff_pending());
  }
};

TEST_F(TwoNodes, OwnerDecidesAtOnce) {
  a.submit(check(1, key_owned_by(members, "a")), kT0);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].decision.allowed);
  EXPECT_EQ(results[0].decided_by, "a");
  EXPECT_EQ(results[0].hops, 0u);
  EXPECT_TRUE(a.take_outgoing().empty());
}

TEST_F(TwoNodes, ForwardsAreBatchedUntilTheFlushDelay) {
  const std::string key = key_owned_by(members, "b");
  for (uint64_t t = 1; t <= 3; ++t) a.submit(check(t, key), kT0);
  EXPECT_TRUE(a.take_outgoing().empty());
  a.tick(kT0 + ClusterOptions{}.flush_delay);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, "b");
  auto* batch = std::get_if<CheckBatch>(&out[0].message);
  ASSERT_NE(batch, nullptr);
  ASSERT_EQ(batch->checks.size(), 3u);
  EXPECT_EQ(batch->checks[0].hops, 1u);
  b.receive("a", std::move(out[0].message), kT0);
  auto answers = b.take_outgoing();
  ASSERT_EQ(answers.size(), 1u);
  a.receive("b", std::move(answers[0].message), kT0);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    EXPECT_EQ(r.decided_by, "b");
    EXPECT_EQ(r.hops, 1u);
    EXPECT_TRUE(r.decision.allowed);
  }
}

TEST_F(TwoNodes, AFullBatchLeavesAtOnce) {
  const std::string key = key_owned_by(members, "b");
  for (uint64_t t = 1; t <= ClusterOptions{}.max_batch; ++t) a.submit(check(t, key), kT0);
  EXPECT_EQ(a.take_outgoing().size(), 1u);
}

TEST_F(TwoNodes, ForwardedOnceMoreAtMostWhenViewsDisagree) {
  // b believes a owns the key (hops 1 so far): it forwards once more, with hops 2.
  ForwardedCheck fc;
  fc.request_id = 7;
  fc.hops = 1;
  fc.key = key_owned_by(members, "a");
  fc.limit = fixed(10);
  b.receive("c", CheckBatch{{fc}}, kT0);
  b.tick(kT0 + kMillisecond);
  auto out = b.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  auto* batch = std::get_if<CheckBatch>(&out[0].message);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->checks[0].hops, 2u);
  // With hops 2, b decides even though it believes a owns the key.
  fc.hops = 2;
  b.receive("c", CheckBatch{{fc}}, kT0);
  out = b.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, "c");
  auto* answers = std::get_if<AnswerBatch>(&out[0].message);
  ASSERT_NE(answers, nullptr);
  EXPECT_EQ(answers->answers[0].request_id, 7u);
  EXPECT_EQ(answers->answers[0].decided_by, "b");
}

TEST_F(TwoNodes, SilentOwnerFailsOverToTheReplicaAfterTau) {
  const std::string key = key_owned_by(members, "b");
  a.submit(check(1, key), kT0);
  a.tick(kT0 + kMillisecond);
  ASSERT_EQ(a.take_outgoing().size(), 1u);  // lost
  const Nanos tau = ClusterOptions{}.failover_timeout;
  const Nanos grace = ClusterOptions{}.failover_grace;
  a.tick(kT0 + tau);
  EXPECT_TRUE(a.take_results().empty());  // one more turn to read answers already received
  a.tick(kT0 + tau + grace);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);  // a is the second of the list: it decides from its replica
  EXPECT_EQ(results[0].decided_by, "a");
  EXPECT_FALSE(results[0].degraded);
  EXPECT_EQ(a.stats().failovers, 1u);
}

// The forward carries a deadline a return margin (tau / 4) before the forwarder fails over.
TEST_F(TwoNodes, ForwardCarriesTheDeadlineBeforeTheFailover) {
  const Nanos tau = ClusterOptions{}.failover_timeout;
  a.submit(check(1, key_owned_by(members, "b")), kT0);
  a.tick(kT0 + kMillisecond);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  auto* batch = std::get_if<CheckBatch>(&out[0].message);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->checks[0].deadline, kT0 + tau - tau / 4);
}

// A slow but alive owner gets the forward after its deadline: it does not decide it (the
// forwarder has moved on to the replica), and its refusal moves the forwarder on at once.
TEST_F(TwoNodes, SlowOwnerDoesNotDecideALateForward) {
  const std::string key = key_owned_by(members, "b");
  a.submit(check(1, key), kT0);
  a.tick(kT0 + kMillisecond);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  const TimePoint deadline = std::get<CheckBatch>(out[0].message).checks[0].deadline;
  b.receive("a", std::move(out[0].message), deadline);
  EXPECT_EQ(b.stats().expired_relays, 1u);
  EXPECT_EQ(b.stats().decided_as_owner + b.stats().decided_off_owner + b.stats().degraded, 0u);
  auto refusal = b.take_outgoing();
  ASSERT_EQ(refusal.size(), 1u);
  EXPECT_EQ(std::get<AnswerBatch>(refusal[0].message).answers[0].error, kExpiredError);
  a.receive("b", std::move(refusal[0].message), deadline);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);  // a is next on the list: it decides, once
  EXPECT_EQ(results[0].decided_by, "a");
  EXPECT_TRUE(results[0].error.empty());
  EXPECT_EQ(a.stats().failovers, 1u);
  EXPECT_EQ(a.stats().decided_off_owner, 1u);
}

TEST_F(TwoNodes, OwnerDecidesAForwardJustBeforeItsDeadline) {
  a.submit(check(1, key_owned_by(members, "b")), kT0);
  a.tick(kT0 + kMillisecond);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  const TimePoint deadline = std::get<CheckBatch>(out[0].message).checks[0].deadline;
  b.receive("a", std::move(out[0].message), deadline - 1);
  EXPECT_EQ(b.stats().expired_relays, 0u);
  EXPECT_EQ(b.stats().decided_as_owner, 1u);
}

// The failed-over attempt is already answered: a late refusal or answer changes nothing.
TEST_F(TwoNodes, RefusalAfterTheFailoverIsIgnored) {
  const Nanos tau = ClusterOptions{}.failover_timeout;
  a.submit(check(1, key_owned_by(members, "b")), kT0);
  a.tick(kT0 + kMillisecond);
  auto out = a.take_outgoing();
  a.tick(kT0 + tau);
  a.tick(kT0 + tau + ClusterOptions{}.failover_grace);
  ASSERT_EQ(a.take_results().size(), 1u);
  b.receive("a", std::move(out[0].message), kT0 + tau + kMillisecond);
  for (auto& o : b.take_outgoing()) a.receive("b", std::move(o.message), kT0 + tau);
  EXPECT_TRUE(a.take_results().empty());
  EXPECT_EQ(a.stats().late_answers, 1u);
  EXPECT_EQ(b.stats().decided_as_owner, 0u);
}

// A forwarder starved past its timeout sees the timeout before the answer it has received
// meanwhile: the answer, read during the grace turn, wins; nobody decides the check again.
TEST_F(TwoNodes, AnAnswerReadJustAfterTheTimeoutIsNotFailedOver) {
  const Nanos tau = ClusterOptions{}.failover_timeout;
  a.submit(check(1, key_owned_by(members, "b")), kT0);
  a.tick(kT0 + kMillisecond);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  b.receive("a", std::move(out[0].message), kT0 + 2 * kMillisecond);
  auto answers = b.take_outgoing();
  a.tick(kT0 + tau + 300 * kMillisecond);  // the first tick after a long stall
  for (auto& o : answers) a.receive("b", std::move(o.message), kT0 + tau + 300 * kMillisecond);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decided_by, "b");
  EXPECT_EQ(a.stats().failovers, 0u);
  EXPECT_EQ(a.stats().decided_off_owner, 0u);
}

// A relay that forwards once more (views disagree) passes on the earlier of the deadlines.
TEST_F(TwoNodes, ARelayPassesOnTheUpstreamDeadline) {
  ForwardedCheck fc;
  fc.request_id = 7;
  fc.hops = 1;
  fc.key = key_owned_by(members, "a");
  fc.limit = fixed(10);
  fc.deadline = kT0 + kMillisecond;
  b.receive("c", CheckBatch{{fc}}, kT0);
  b.tick(kT0 + kMillisecond / 10);
  auto out = b.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<CheckBatch>(out[0].message).checks[0].deadline, kT0 + kMillisecond);
}

// A client's deadline travels with its check: the owner does not decide a forward that
// reaches it later, and the forwarder answers "deadline exceeded" instead of failing over to
// the next node (which would decide a check nobody waits for).
TEST_F(TwoNodes, ACheckPastItsClientsDeadlineIsNotDecidedNorTriedFurther) {
  ClientCheck c = check(1, key_owned_by(members, "b"));
  c.deadline = kT0 + 20 * kMillisecond;  // well inside the fail-over timeout
  a.submit(c, kT0);
  a.tick(kT0 + kMillisecond);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  auto* batch = std::get_if<CheckBatch>(&out[0].message);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->checks[0].deadline, c.deadline);
  // The owner reads it late: refused, not decided.
  b.receive("a", std::move(out[0].message), kT0 + 25 * kMillisecond);
  EXPECT_EQ(b.stats().expired_relays, 1u);
  EXPECT_EQ(b.stats().decided_as_owner, 0u);
  auto refusals = b.take_outgoing();
  for (auto& o : refusals) a.receive("b", std::move(o.message), kT0 + 26 * kMillisecond);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error, kClientDeadlineError);
  EXPECT_EQ(a.stats().decided_off_owner, 0u) << "a decided from its replica past the deadline";
  EXPECT_EQ(a.stats().expired_checks, 1u);
}

// With no answer at all, the forwarder gives up at the client's deadline, not at the
// fail-over timeout, and does not fail over.
TEST_F(TwoNodes, ASilentOwnerIsNotFailedOverPastTheClientsDeadline) {
  ClientCheck c = check(1, key_owned_by(members, "b"));
  c.deadline = kT0 + 20 * kMillisecond;
  a.submit(c, kT0);
  a.tick(kT0 + kMillisecond);
  ASSERT_EQ(a.take_outgoing().size(), 1u);  // lost
  const Nanos grace = ClusterOptions{}.failover_grace;
  a.tick(c.deadline);
  a.tick(c.deadline + grace);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error, kClientDeadlineError);
  EXPECT_EQ(a.stats().decided_off_owner, 0u);
  EXPECT_EQ(a.take_outgoing().size(), 0u) << "tried another node past the deadline";
}

TEST_F(TwoNodes, InvalidLimitIsAnErrorValue) {
  limits::Limit bad = fixed(10);
  bad.window = 0;
  a.submit(check(9, "k", bad), kT0);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].error.empty());
  EXPECT_FALSE(results[0].decision.allowed);
}

TEST_F(TwoNodes, StatusCountsOwnedAndReplicaKeys) {
  a.submit(check(1, key_owned_by(members, "a")), kT0);
  ASSERT_EQ(a.take_results().size(), 1u);
  a.tick(kT0 + kMillisecond);  // replicates to b
  for (auto& out : a.take_outgoing()) b.receive("a", std::move(out.message), kT0);
  const ClusterStatus sa = a.status(kT0 + 3 * kMillisecond);
  EXPECT_EQ(sa.members, 2u);
  EXPECT_EQ(sa.keys_as_owner, 1u);
  EXPECT_EQ(sa.replication_lag, 2 * kMillisecond);
  EXPECT_GT(sa.ring_share, 0.2);
  const ClusterStatus sb = b.status(kT0);
  EXPECT_EQ(sb.keys_as_replica, 1u);
  EXPECT_NEAR(sa.ring_share + sb.ring_share, 1.0, 1e-9);
  EXPECT_EQ(sa.epoch, sb.epoch);
}

TEST_F(TwoNodes, LateAndUnknownAnswersAreIgnored) {
  CheckAnswer stray;
  stray.request_id = 12345;
  a.receive("b", AnswerBatch{{stray}}, kT0);
  EXPECT_TRUE(a.take_results().empty());
}

TEST(ClusterNodeTest, JoinerRoutesToThePreviousOwnerUntilHandoffCompletes) {
  store::Store store_a, store_c;
  ClusterNode a{member("a"), store_a};
  std::vector<ring::Member> before{member("a")};
  a.set_view(before, kT0);
  const std::vector<ring::Member> after{member("a"), member("c")};
  const std::string key = key_owned_by(after, "c");
  a.submit(check(1, key), kT0);  // a alone: it owns everything
  ASSERT_EQ(a.take_results().size(), 1u);
  a.set_view(after, kT0);

  ClusterNode c{member("c"), store_c};
  c.set_view(after, kT0);
  ASSERT_TRUE(c.handoff_pending());
  auto requests = c.take_outgoing();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].to, "a");
  // Meanwhile a check at c goes to a, which must decide it.
  c.submit(check(2, key), kT0);
  c.tick(kT0 + kMillisecond);
  auto fwd = c.take_outgoing();
  ASSERT_EQ(fwd.size(), 1u);
  a.receive("c", std::move(fwd[0].message), kT0 + kMillisecond);
  for (auto& out : a.take_outgoing()) c.receive("a", std::move(out.message), kT0 + kMillisecond);
  auto results = c.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decided_by, "a");
  EXPECT_EQ(results[0].decision.remaining, 8u);
  // Hand-off: a ships the key; c then decides, continuing the count.
  a.receive("c", std::move(requests[0].message), kT0 + kMillisecond);
  for (auto& out : a.take_outgoing()) c.receive("a", std::move(out.message), kT0 + kMillisecond);
  EXPECT_FALSE(c.handoff_pending());
  c.submit(check(3, key), kT0 + 2 * kMillisecond);
  results = c.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decided_by, "c");
  EXPECT_EQ(results[0].decision.remaining, 7u);
}

// A node that has no view yet cannot know whether it is alone: it holds its clients' checks
// for the first view, and sends relayed checks back instead of deciding them fresh.
TEST(NoViewYet, ClientChecksWaitForTheFirstViewThenDegrade) {
  store::Store store;
  ClusterNode n{member("n"), store};
  n.submit(check(1, "k"), kT0);
  EXPECT_TRUE(n.take_results().empty());
  n.tick(kT0 + ClusterOptions{}.first_view_wait - 1);
  EXPECT_TRUE(n.take_results().empty());
  n.tick(kT0 + ClusterOptions{}.first_view_wait);
  auto results = n.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].degraded);
}

TEST(NoViewYet, HeldChecksAreRoutedWhenTheViewArrives) {
  store::Store store;
  ClusterNode n{member("n"), store};
  n.submit(check(1, "k"), kT0);
  n.set_view({member("n")}, kT0 + kMillisecond);
  auto results = n.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].degraded);
  EXPECT_EQ(results[0].decided_by, "n");
}

TEST(NoViewYet, RelayedChecksAreSentBackNotDecided) {
  const std::vector<ring::Member> members{member("a"), member("n")};
  store::Store store_a, store_n;
  ClusterNode a{member("a"), store_a};
  ClusterNode n{member("n"), store_n};
  a.set_view(members, kT0);
  a.take_outgoing();  // its hand-off request to n: n cannot serve it yet
  const std::string key = key_owned_by(members, "n");
  a.submit(check(1, key), kT0);
  a.tick(kT0 + kSecond / 1000);
  for (auto& out : a.take_outgoing()) {
    ASSERT_EQ(out.to, "n");
    n.receive("a", std::move(out.message), kT0);
  }
  EXPECT_EQ(n.stats().refused_relays, 1u);
  EXPECT_EQ(n.stats().degraded + n.stats().decided_as_owner + n.stats().decided_off_owner, 0u);
  for (auto& out : n.take_outgoing()) a.receive("n", std::move(out.message), kT0);
  // a is the next (and last) of the key's list: it decides at once, without a timeout.
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decided_by, "a");
  EXPECT_TRUE(results[0].decision.allowed);
}

}  // namespace
}  // namespace drl::cluster

namespace drl::cluster {
namespace {

TEST(ClusterNodeSweep, TheStoreIsSweptUnlessItsOwnerSaysItSweepsItself) {
  // The node sweeps its store on an I/O thread and turns the cluster's sweep of it off; a
  // cluster used alone (the simulations) still sweeps.
  for (const bool sweep : {true, false}) {
    SCOPED_TRACE(sweep ? "sweep_store" : "!sweep_store");
    store::Store store;
    ClusterOptions options;
    options.sweep_store = sweep;
    ClusterNode node(member("a"), store, options);
    node.set_view({member("a")}, kT0);
    for (int i = 0; i < 100; ++i) {
      node.submit(check(i + 1, "k" + std::to_string(i)), kT0);
    }
    ASSERT_EQ(store.stats().keys, 100u);
    // Fixed windows of a second: expired by +2 s; enough ticks for a whole sweep.
    for (int t = 0; t < 100; ++t) node.tick(kT0 + 2 * kSecond + t * options.expire_interval);
    EXPECT_EQ(store.stats().keys, sweep ? 0u : 100u);
  }
}

}  // namespace
}  // namespace drl::cluster
