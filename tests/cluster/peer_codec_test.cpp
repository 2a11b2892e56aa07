#include "cluster/peer_codec.h"

#include <gtest/gtest.h>

namespace drl::cluster {
namespace {

bool same(const store::KeyRecord& a, const store::KeyRecord& b) {
  return a.key == b.key && a.algorithm == b.algorithm && a.state == b.state && a.log == b.log &&
         a.expires_at == b.expires_at && a.version == b.version;
}

store::KeyRecord record() {
  store::KeyRecord r;
  r.key = std::string("user:\0:42", 9);  // keys are bytes
  r.algorithm = limits::Algorithm::kSlidingLog;
  r.state = {123456789, 7, 9};
  r.log = {1, 2, 3};
  r.expires_at = 99;
  r.version = 17;
  return r;
}

TEST(PeerCodecTest, CheckBatchRoundTrips) {
  ForwardedCheck c;
  c.request_id = 42;
  c.hops = 2;
  c.must_decide = true;
  c.key = "api:7";
  c.limit = {limits::Algorithm::kFixedWindow, 100, kSecond, 5, limits::Calendar::kDay};
  c.request.cost = 3;
  c.request.drain_on_deny = true;
  c.degrade = DegradeMode::kClosed;
  c.deadline = 1'700'000'000 * kSecond + 123;
  PeerMessage out;
  ASSERT_EQ(decode_peer_message(encode_peer_message(CheckBatch{{c, c}}), out), "");
  const auto& batch = std::get<CheckBatch>(out);
  ASSERT_EQ(batch.checks.size(), 2u);
  const auto& d = batch.checks[1];
  EXPECT_EQ(d.request_id, 42u);
  EXPECT_EQ(d.hops, 2u);
  EXPECT_TRUE(d.must_decide);
  EXPECT_EQ(d.key, "api:7");
  EXPECT_EQ(d.limit, c.limit);
  EXPECT_EQ(d.request.cost, 3u);
  EXPECT_TRUE(d.request.drain_on_deny);
  EXPECT_EQ(d.degrade, DegradeMode::kClosed);
  EXPECT_EQ(d.deadline, c.deadline);
}

TEST(PeerCodecTest, AnswerBatchRoundTrips) {
  CheckAnswer a;
  a.request_id = 9;
  a.decision = {true, false, 10, 4, 1000, 0, 5};
  a.decided_by = "n3";
  a.degraded = true;
  a.hops = 1;
  a.error = "window must be > 0";
  PeerMessage out;
  ASSERT_EQ(decode_peer_message(encode_peer_message(AnswerBatch{{a}}), out), "");
  const auto& d = std::get<AnswerBatch>(out).answers.at(0);
  EXPECT_EQ(d.request_id, 9u);
  EXPECT_EQ(d.decision.remaining, 4u);
  EXPECT_EQ(d.decision.reset_at, 1000);
  EXPECT_EQ(d.decision.delay, 5);
  EXPECT_EQ(d.decided_by, "n3");
  EXPECT_TRUE(d.degraded);
  EXPECT_EQ(d.error, a.error);
}

TEST(PeerCodecTest, ReplicationAndHandoffRoundTrip) {
  PeerMessage out;
  ASSERT_EQ(decode_peer_message(encode_peer_message(ReplicaBatch{{record()}}), out), "");
  EXPECT_TRUE(same(std::get<ReplicaBatch>(out).records.at(0), record()));

  HandoffRequest request{5, {{10, 20}, {~0ull - 3, 7}}};
  ASSERT_EQ(decode_peer_message(encode_peer_message(request), out), "");
  EXPECT_EQ(std::get<HandoffRequest>(out).request_id, 5u);
  EXPECT_EQ(std::get<HandoffRequest>(out).ranges, request.ranges);

  ASSERT_EQ(decode_peer_message(encode_peer_message(HandoffChunk{6, {record()}, true}), out), "");
  const auto& chunk = std::get<HandoffChunk>(out);
  EXPECT_EQ(chunk.request_id, 6u);
  EXPECT_TRUE(chunk.last);
  EXPECT_TRUE(same(chunk.records.at(0), record()));
}

TEST(PeerCodecTest, GarbageAndOutOfRangeValuesAreErrors) {
  PeerMessage out;
  EXPECT_NE(decode_peer_message("\xff\xff\xff\xff", out), "");
  EXPECT_EQ(decode_peer_message("", out), "peer message has no body");
  ForwardedCheck c;
  c.limit.algorithm = static_cast<limits::Algorithm>(77);
  EXPECT_NE(decode_peer_message(encode_peer_message(CheckBatch{{c}}), out).find("algorithm"),
            std::string::npos);
  store::KeyRecord r = record();
  r.algorithm = static_cast<limits::Algorithm>(9);
  EXPECT_NE(decode_peer_message(encode_peer_message(ReplicaBatch{{r}}), out), "");
}

}  // namespace
}  // namespace drl::cluster
