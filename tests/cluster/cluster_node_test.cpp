// ClusterNode driven by hand, one message at a time: batching, the hop limit, retries and
// fail-over, the answer memory, budgets, hand-off gating and bad input.
#include "cluster/cluster_node.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "cluster/peer_codec.h"
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

// A key that `owner` owns on the ring of `members` (the first, or the one after `skip` others).
std::string key_owned_by(const std::vector<ring::Member>& members, const std::string& owner,
                         int skip = 0) {
  ring::Ring r(members);
  for (int i = 0;; ++i) {
    std::string k = "key:" + std::to_string(i);
    if (r.member(r.owner(key_hash(k))).id == owner && skip-- == 0) return k;
  }
}

ClientCheck check(uint64_t token, std::string key, limits::Limit limit = fixed(10)) {
  ClientCheck c;
  c.client_token = token;
  c.key = std::move(key);
  c.limit = limit;
  return c;
}

// A check relayed from "c" (hops 1 so far) for `key`.
ForwardedCheck relayed(std::string key) {
  ForwardedCheck fc;
  fc.request_id = 7;
  fc.hops = 1;
  fc.key = std::move(key);
  fc.limit = fixed(10);
  return fc;
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
  ForwardedCheck fc = relayed(key_owned_by(members, "a"));
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

// A node's policy set as the ClusterNode sees it: name -> policy.
PolicyLookup lookup_of(const std::map<std::string, limits::Policy>& set) {
  return [set](std::string_view name) -> const limits::Policy* {
    auto it = set.find(std::string(name));
    return it == set.end() ? nullptr : &it->second;
  };
}

limits::Policy api_policy(uint64_t limit, bool shadow = false) {
  limits::Policy p;
  p.name = "api";
  p.limit = fixed(limit);
  p.shadow = shadow;
  return p;
}

// Moves every message between a and b, through the wire codec, until both are quiet.
void exchange(ClusterNode& a, ClusterNode& b, TimePoint now) {
  for (int round = 0; round < 4; ++round) {
    a.flush(now);
    b.flush(now);
    for (auto& out : a.take_outgoing()) {
      PeerMessage decoded;
      ASSERT_EQ(decode_peer_message(encode_peer_message(out.message), decoded), "");
      b.receive("a", std::move(decoded), now);
    }
    for (auto& out : b.take_outgoing()) {
      PeerMessage decoded;
      ASSERT_EQ(decode_peer_message(encode_peer_message(out.message), decoded), "");
      a.receive("b", std::move(decoded), now);
    }
  }
}

// Checks of policy "api" entering a (whose set says 200) for a key b owns.
std::vector<CheckResult> api_checks_through_a(ClusterNode& a, ClusterNode& b,
                                              const std::string& key, int n,
                                              bool client_shadow = false) {
  for (int t = 1; t <= n; ++t) {
    ClientCheck c = check(static_cast<uint64_t>(t), key, fixed(200));  // as a resolved it
    c.policy = "api";
    c.client_shadow = client_shadow;
    c.request.shadow = client_shadow;
    a.submit(std::move(c), kT0);
  }
  exchange(a, b, kT0);
  return a.take_results();
}

TEST_F(TwoNodes, AForwardedCheckIsDecidedUnderTheOwnersPolicySet) {
  // The entry node a holds the old set (api: 200), the owner b the new one (api: 2), as
  // while a push spreads: the owner's meaning decides, whichever node the check entered.
  a.set_policy_lookup(lookup_of({{"api", api_policy(200)}}));
  b.set_policy_lookup(lookup_of({{"api", api_policy(2)}}));
  const auto results = api_checks_through_a(a, b, key_owned_by(members, "b"), 3);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    EXPECT_EQ(r.decided_by, "b");
    EXPECT_EQ(r.decision.limit, 2u);
    ASSERT_TRUE(r.limit.has_value());  // for a's denial sentence
    EXPECT_EQ(r.limit->limit, 2u);
  }
  EXPECT_TRUE(results[0].decision.allowed);
  EXPECT_TRUE(results[1].decision.allowed);
  EXPECT_FALSE(results[2].decision.allowed);
}

TEST_F(TwoNodes, AnOwnerWithoutTheNameOrWithoutALookupDecidesUnderTheCarriedLimit) {
  // An older build (no lookup: it skips the name) and a set without the policy (added by a
  // push the owner has not taken yet) both decide under the limit the entry node resolved.
  a.set_policy_lookup(lookup_of({{"api", api_policy(200)}}));
  auto results = api_checks_through_a(a, b, key_owned_by(members, "b"), 3);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    EXPECT_EQ(r.decision.limit, 200u);
    EXPECT_TRUE(r.decision.allowed);
    EXPECT_FALSE(r.limit.has_value());
  }
  b.set_policy_lookup(lookup_of({}));
  results = api_checks_through_a(a, b, key_owned_by(members, "b", 1), 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decision.limit, 200u);
}

TEST_F(TwoNodes, TheOwnersShadowFlagAppliesAndTheClientsStays) {
  // The owner's policy is a dry run: a denial is reported, not enforced.
  b.set_policy_lookup(lookup_of({{"api", api_policy(1, /*shadow=*/true)}}));
  auto results = api_checks_through_a(a, b, key_owned_by(members, "b"), 2);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[1].decision.allowed);
  EXPECT_TRUE(results[1].decision.shadow_denied);
  // The owner's policy enforces, but the client asked for a dry run itself.
  b.set_policy_lookup(lookup_of({{"api", api_policy(1)}}));
  results = api_checks_through_a(a, b, key_owned_by(members, "b", 1), 2, true);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[1].decision.allowed);
  EXPECT_TRUE(results[1].decision.shadow_denied);
}

// An owner that does not answer is still a live member of the view: its checks are tried on
// it again, never decided by the replica (which would decide beside it).
TEST_F(TwoNodes, SilentOwnerIsRetriedNotFailedOverWhileItIsAMember) {
  const std::string key = key_owned_by(members, "b");
  a.submit(check(1, key), kT0);
  a.tick(kT0 + kMillisecond);
  ASSERT_EQ(a.take_outgoing().size(), 1u);  // lost
  const Nanos tau = ClusterOptions{}.failover_timeout;
  a.tick(kT0 + kMillisecond + tau);
  a.tick(kT0 + 2 * kMillisecond + tau);
  auto retry = a.take_outgoing();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].to, "b");  // no third member to relay through: b again
  EXPECT_TRUE(a.take_results().empty());
  EXPECT_EQ(a.stats().retries, 1u);
  EXPECT_EQ(a.stats().decided_off_owner + a.stats().decided_as_owner, 0u);
  // Membership drops b: now a owns the key, and decides the waiting check at once.
  a.set_view({member("a")}, kT0 + 3 * tau);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decided_by, "a");
  EXPECT_FALSE(results[0].degraded);
  EXPECT_EQ(a.stats().failovers, 1u);
}

// Time crosses nodes as a duration: the forward says how long its sender still waits, and an
// owner whose wall clock runs 30 s ahead (or behind) decides it all the same.
TEST_F(TwoNodes, ForwardCarriesItsBudgetNotAnInstant) {
  a.submit(check(1, key_owned_by(members, "b")), kT0);
  a.tick(kT0 + kMillisecond);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  auto* batch = std::get_if<CheckBatch>(&out[0].message);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->checks[0].budget, ClusterOptions{}.check_timeout);  // queued at kT0
  EXPECT_EQ(batch->checks[0].deadline, 0);
  for (Nanos skew : {30 * kSecond, -30 * kSecond}) {
    store::Store store;
    ClusterNode skewed{member("b"), store};
    skewed.set_view(members, kT0 + skew);
    for (auto& o : skewed.take_outgoing()) a.receive("b", std::move(o.message), kT0);
    for (auto& o : a.take_outgoing()) skewed.receive("a", std::move(o.message), kT0 + skew);
    ASSERT_FALSE(skewed.handoff_pending());
    skewed.receive("a", *batch, kT0 + skew + kMillisecond);
    EXPECT_EQ(skewed.stats().expired_relays, 0u);
    EXPECT_EQ(skewed.stats().decided_as_owner, 1u) << "skew " << skew;
  }
}

// A lost answer: the owner gets the same check again (same origin and id) and answers it from
// memory instead of spending the budget twice.
TEST_F(TwoNodes, ARepeatedAttemptIsAnsweredFromMemory) {
  a.submit(check(1, key_owned_by(members, "b")), kT0);
  a.tick(kT0 + kMillisecond);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  b.receive("a", out[0].message, kT0 + kMillisecond);
  auto first = b.take_outgoing();  // lost
  ASSERT_EQ(first.size(), 1u);
  b.receive("a", out[0].message, kT0 + 60 * kMillisecond);
  auto second = b.take_outgoing();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(b.stats().decided_as_owner, 1u);
  EXPECT_EQ(b.stats().answered_again, 1u);
  const CheckAnswer& again = std::get<AnswerBatch>(second[0].message).answers.at(0);
  const CheckAnswer& once = std::get<AnswerBatch>(first[0].message).answers.at(0);
  EXPECT_EQ(again.decision.remaining, once.decision.remaining);
  a.receive("b", std::move(second[0].message), kT0 + 61 * kMillisecond);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decision.remaining, 9u);
  // The first answer, arriving after all, changes nothing.
  a.receive("b", std::move(first[0].message), kT0 + 62 * kMillisecond);
  EXPECT_TRUE(a.take_results().empty());
  EXPECT_EQ(a.stats().late_answers, 1u);
}

// A relay gives up when the budget it was given runs out, says so, and passes on only what
// is left of it.
TEST_F(TwoNodes, ARelayKeepsToTheBudgetItWasGiven) {
  ForwardedCheck fc = relayed(key_owned_by(members, "a"));
  fc.budget = 5 * kMillisecond;
  b.receive("c", CheckBatch{{fc}}, kT0 + kMillisecond);
  b.tick(kT0 + 2 * kMillisecond);
  auto out = b.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  const ForwardedCheck& passed = std::get<CheckBatch>(out[0].message).checks.at(0);
  EXPECT_EQ(passed.budget, 5 * kMillisecond);  // all of it: queued on receipt
  EXPECT_EQ(passed.origin, "c");
  EXPECT_EQ(passed.origin_id, 7u);
  b.tick(kT0 + 5 * kMillisecond);
  EXPECT_TRUE(b.take_outgoing().empty());
  b.tick(kT0 + 6 * kMillisecond);  // its own clock: 5 ms after it received the check
  auto refusal = b.take_outgoing();
  ASSERT_EQ(refusal.size(), 1u);
  EXPECT_EQ(refusal[0].to, "c");
  EXPECT_EQ(std::get<AnswerBatch>(refusal[0].message).answers.at(0).error, kExpiredError);
}

// A forwarder whose thread stalled past the retry timeout sends the check again; the answer
// it then reads wins, and the owner answers the repeated attempt from memory.
TEST_F(TwoNodes, AnAnswerReadAfterAStallEndsTheRetries) {
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
  EXPECT_EQ(a.stats().decided_off_owner + a.stats().decided_as_owner, 0u);
  a.flush(kT0 + tau + 300 * kMillisecond);  // the retry queued before the answer was read
  for (auto& o : a.take_outgoing()) {
    b.receive("a", std::move(o.message), kT0 + tau + 301 * kMillisecond);
  }
  EXPECT_EQ(b.stats().decided_as_owner, 1u);
  EXPECT_EQ(b.stats().answered_again, 1u);
}

// The client's deadline ends the retries: "deadline exceeded", and nobody else decides.
TEST_F(TwoNodes, ASilentOwnerIsRetriedUntilTheClientsDeadline) {
  const Nanos tau = ClusterOptions{}.failover_timeout;
  ClientCheck c = check(1, key_owned_by(members, "b"));
  c.deadline = kT0 + 3 * tau;
  a.submit(c, kT0);
  size_t sent = 0;
  for (TimePoint t = kT0 + kMillisecond; t < c.deadline; t += kMillisecond) {
    a.tick(t);
    sent += a.take_outgoing().size();
    ASSERT_TRUE(a.take_results().empty());
  }
  EXPECT_EQ(sent, 3u);  // at 0, tau and 2 tau (then backing off)
  a.tick(c.deadline);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error, kClientDeadlineError);
  EXPECT_EQ(a.stats().decided_off_owner + a.stats().degraded, 0u);
  EXPECT_EQ(a.stats().expired_checks, 1u);
  EXPECT_EQ(a.take_outgoing().size(), 0u) << "tried past the deadline";
}

// Open and closed policies answer by their mode when the deadline comes (neither counts
// against the key, so neither is a second decider); "local" would be, so it is an error.
TEST_F(TwoNodes, OpenAndClosedPoliciesAnswerByTheirModeAtTheDeadline) {
  for (DegradeMode mode : {DegradeMode::kOpen, DegradeMode::kClosed}) {
    ClientCheck c = check(static_cast<uint64_t>(mode), key_owned_by(members, "b"));
    c.degrade = mode;
    c.deadline = kT0 + 10 * kMillisecond;
    a.submit(c, kT0);
    a.tick(c.deadline);
    auto results = a.take_results();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_TRUE(results[0].error.empty());
    EXPECT_TRUE(results[0].degraded);
    EXPECT_EQ(results[0].decision.allowed, mode == DegradeMode::kOpen);
  }
}

// Three ClusterNodes a, b and c over stores of their own, sharing one view at kT0.
struct ThreeNodes {
  const std::vector<ring::Member> members{member("a"), member("b"), member("c")};
  store::Store stores[3];
  std::map<std::string, std::unique_ptr<ClusterNode>> nodes;
  ThreeNodes() {
    for (size_t i = 0; i < members.size(); ++i) {
      nodes[members[i].id] = std::make_unique<ClusterNode>(members[i], stores[i]);
    }
    for (auto& [id, n] : nodes) n->set_view(members, kT0);
  }
};

// Three members: a retry goes round a link that fails, through the key's other replica, and
// the owner knows it for the check it may already have decided.
TEST(ClusterNodeTest, ARetryGoesThroughAnotherMemberOfTheList) {
  ThreeNodes three;
  const auto& members = three.members;
  auto& nodes = three.nodes;
  // 5 ms of ticks every 100 us from `start`, delivering everything at once except what
  // `lost` says.
  auto pump = [&](TimePoint start, auto lost) {
    for (TimePoint now = start; now < start + 5 * kMillisecond; now += 100 * kMicrosecond) {
      for (auto& [id, n] : nodes) {
        n->tick(now);
        for (auto& out : n->take_outgoing()) {
          if (!lost(id, out)) nodes[out.to]->receive(id, std::move(out.message), now);
        }
      }
    }
  };
  pump(kT0, [](const std::string&, const Outgoing&) { return false; });  // founders' hand-off
  const std::string key = key_owned_by(members, "b");
  ClusterNode& a = *nodes["a"];
  a.submit(check(1, key), kT0);
  // a -> b loses everything (a one-way cut); b -> a and the rest deliver.
  auto cut = [](const std::string& from, const Outgoing& out) {
    return from == "a" && out.to == "b";
  };
  pump(kT0 + kMillisecond, cut);
  EXPECT_TRUE(a.take_results().empty());
  const Nanos tau = ClusterOptions{}.failover_timeout;
  pump(kT0 + kMillisecond + tau, cut);
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decided_by, "b");
  EXPECT_EQ(results[0].hops, 2u);
  EXPECT_EQ(nodes["b"]->stats().decided_as_owner, 1u);
  EXPECT_EQ(nodes["c"]->stats().decided_as_owner + nodes["c"]->stats().decided_off_owner, 0u);
  // b -> a loses everything instead: b decides, the answer goes round through c.
  a.submit(check(2, key), kT0 + 2 * tau);
  auto back_cut = [](const std::string& from, const Outgoing& out) {
    return from == "b" && out.to == "a";
  };
  pump(kT0 + 2 * tau + kMillisecond, back_cut);
  EXPECT_TRUE(a.take_results().empty());
  pump(kT0 + 3 * tau + kMillisecond, back_cut);
  results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decision.remaining, 8u);
  EXPECT_EQ(nodes["b"]->stats().decided_as_owner, 2u) << "the check was decided twice";
  EXPECT_EQ(nodes["b"]->stats().answered_again, 1u);
}

// A link that lost packets lately (the shell saw TCP retransmit on it): a forward over it also
// leaves through a relay at once, the owner decides whichever copy comes first and answers
// the other from memory, and the client gets one answer. On other links: one copy.
TEST(ClusterNodeTest, AForwardOnALossyLinkIsHedgedThroughARelayAndDecidedOnce) {
  ThreeNodes three;
  const auto& members = three.members;
  auto& nodes = three.nodes;
  // Ticks every 100 us for 5 ms from `start`; counts the check batches `a` sends, by peer.
  std::map<std::string, int> batches_from_a;
  auto pump = [&](TimePoint start) {
    for (TimePoint now = start; now < start + 5 * kMillisecond; now += 100 * kMicrosecond) {
      for (auto& [id, n] : nodes) {
        n->tick(now);
        for (auto& out : n->take_outgoing()) {
          if (id == "a" && std::holds_alternative<CheckBatch>(out.message)) {
            ++batches_from_a[out.to];
          }
          nodes[out.to]->receive(id, std::move(out.message), now);
        }
      }
    }
  };
  pump(kT0);  // the founders' hand-off
  batches_from_a.clear();
  const std::string key = key_owned_by(members, "b");
  ClusterNode& a = *nodes["a"];
  a.submit(check(1, key), kT0 + 10 * kMillisecond);
  pump(kT0 + 10 * kMillisecond);
  EXPECT_EQ(batches_from_a["b"], 1);
  EXPECT_EQ(batches_from_a["c"], 0) << "a clean link got a hedge";
  ASSERT_EQ(a.take_results().size(), 1u);

  a.note_link_loss("b", kT0 + 20 * kMillisecond);
  a.submit(check(2, key), kT0 + 20 * kMillisecond);
  pump(kT0 + 20 * kMillisecond);
  EXPECT_EQ(batches_from_a["b"], 2);
  EXPECT_EQ(batches_from_a["c"], 1) << "no hedge through the relay";
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u) << "one client check, one answer";
  EXPECT_EQ(results[0].decision.remaining, 8u) << "the two copies were decided twice";
  EXPECT_EQ(a.stats().hedges, 1u);
  EXPECT_EQ(nodes["b"]->stats().decided_as_owner, 2u);
  EXPECT_EQ(nodes["b"]->stats().answered_again, 1u);
  EXPECT_EQ(a.stats().late_answers, 1u);

  // The hedge window passes: one copy again.
  const TimePoint later = kT0 + 20 * kMillisecond + ClusterOptions{}.hedge_window;
  a.submit(check(3, key), later);
  pump(later);
  EXPECT_EQ(batches_from_a["c"], 1);
  EXPECT_EQ(a.take_results().size(), 1u);
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
  // Without the key counts (a pass over the store, which pollers of the view skip): the
  // view is the same and the counts are left 0.
  const ClusterStatus view_only = a.status(kT0 + 3 * kMillisecond, /*count_keys=*/false);
  EXPECT_EQ(view_only.keys_as_owner, 0u);
  EXPECT_EQ(view_only.keys_as_replica, 0u);
  EXPECT_EQ(view_only.epoch, sa.epoch);
  EXPECT_EQ(view_only.members, sa.members);
  EXPECT_EQ(view_only.ring_share, sa.ring_share);
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
  // n is a live member that owns the key: a waits for it rather than deciding beside it.
  EXPECT_TRUE(a.take_results().empty());
  // n gets its view and fetches its ranges from a (a's view holds n: it serves them at
  // once); a's next attempt then finds n settled, and n decides, once.
  n.set_view(members, kT0 + kMillisecond);
  const TimePoint retry = kT0 + ClusterOptions{}.failover_timeout + kMillisecond;
  for (TimePoint t = retry; t < retry + 4 * kMillisecond; t += kMillisecond) {
    a.tick(t);
    for (auto& out : a.take_outgoing()) n.receive("a", std::move(out.message), t);
    n.tick(t);
    for (auto& out : n.take_outgoing()) a.receive("n", std::move(out.message), t);
  }
  auto results = a.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].decided_by, "n");
  EXPECT_TRUE(results[0].decision.allowed);
  EXPECT_EQ(a.stats().decided_as_owner + a.stats().decided_off_owner, 0u);
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
