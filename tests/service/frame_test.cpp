// The frame codec and the wire decoding of checks: pure functions over bytes.
#include "service/frame.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "drl/client.pb.h"
#include "service/wire_convert.h"

namespace drl::service {
namespace {

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string encoded_request(uint64_t id) {
  wire::Request r;
  r.set_id(id);
  auto* c = r.mutable_check()->add_checks();
  c->set_key("user:42");
  c->set_policy("per_user");
  std::string out;
  EXPECT_TRUE(append_frame(out, r));
  return out;
}

TEST(Frame, WholeFrameIsFoundAndConsumed) {
  const auto buf = bytes(encoded_request(5) + encoded_request(6));
  auto v = next_frame(buf, kDefaultMaxFrameBytes);
  ASSERT_EQ(v.status, FrameStatus::kComplete);
  wire::Request r;
  ASSERT_TRUE(r.ParseFromArray(v.payload.data(), static_cast<int>(v.payload.size())));
  EXPECT_EQ(r.id(), 5u);
  auto second = next_frame(std::span(buf).subspan(v.consumed), kDefaultMaxFrameBytes);
  ASSERT_EQ(second.status, FrameStatus::kComplete);
  EXPECT_EQ(v.consumed + second.consumed, buf.size());
}

TEST(Frame, EveryPrefixOfAFrameNeedsMore) {
  const auto buf = bytes(encoded_request(1));
  for (size_t n = 0; n < buf.size(); ++n) {
    auto v = next_frame(std::span(buf).first(n), kDefaultMaxFrameBytes);
    EXPECT_EQ(v.status, FrameStatus::kNeedMore) << "prefix " << n;
    EXPECT_EQ(v.consumed, 0u);
  }
}

TEST(Frame, LengthAboveTheLimitIsTooLargeBeforeAnyPayload) {
  const std::vector<uint8_t> huge = {0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(next_frame(huge, kDefaultMaxFrameBytes).status, FrameStatus::kTooLarge);
  std::vector<uint8_t> just_over(4);
  write_be32(just_over.data(), kDefaultMaxFrameBytes + 1);
  EXPECT_EQ(next_frame(just_over, kDefaultMaxFrameBytes).status, FrameStatus::kTooLarge);
  std::vector<uint8_t> at_limit(4);
  write_be32(at_limit.data(), kDefaultMaxFrameBytes);
  EXPECT_EQ(next_frame(at_limit, kDefaultMaxFrameBytes).status, FrameStatus::kNeedMore);
}

TEST(Frame, ZeroLengthFrameIsAnEmptyMessage) {
  const std::vector<uint8_t> empty = {0, 0, 0, 0};
  auto v = next_frame(empty, kDefaultMaxFrameBytes);
  ASSERT_EQ(v.status, FrameStatus::kComplete);
  EXPECT_EQ(v.payload.size(), 0u);
  EXPECT_EQ(v.consumed, 4u);
}

TEST(Frame, MagicWordsCannotBeClientLengths) {
  EXPECT_GT(kGossipMagic, kDefaultMaxFrameBytes);
  EXPECT_GT(kPeerMagic, kDefaultMaxFrameBytes);
  EXPECT_EQ(kGossipMagic, 0x44524C47u);  // "DRLG"
}

TEST(Frame, AppendRefusesAMessageAboveTheLimit) {
  wire::Request r;
  r.mutable_check()->add_checks()->set_key(std::string(2000, 'k'));
  std::string out = "keep";
  EXPECT_FALSE(append_frame(out, r, 1000));
  EXPECT_EQ(out, "keep");
}

TEST(Frame, RandomGarbageNeverReadsPastTheBuffer) {
  const uint64_t seed = std::getenv("DRL_SEED") ? std::stoull(std::getenv("DRL_SEED")) : 12345;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> buf(rng() % 64);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    if (!buf.empty() && rng() % 2) buf[0] = 0;  // plausible lengths too
    auto v = next_frame(buf, 1024);
    ASSERT_LE(v.consumed, buf.size()) << "seed " << seed;
    if (v.status == FrameStatus::kComplete) {
      wire::Request r;
      (void)r.ParseFromArray(v.payload.data(), static_cast<int>(v.payload.size()));
    }
  }
}

TEST(WireConvert, DecodesAnInlineCheck) {
  wire::Check c;
  c.set_key("k");
  c.set_cost(3);
  auto* l = c.mutable_limit();
  l->set_algorithm(wire::SLIDING_WINDOW);
  l->set_limit(10);
  l->set_window_ms(1500);
  l->set_burst(2);
  c.set_drain_on_deny(true);
  CheckCall call;
  decode_check(c, call);
  EXPECT_EQ(call.code, CheckCode::kOk);
  EXPECT_TRUE(call.has_inline);
  EXPECT_EQ(call.limit.algorithm, limits::Algorithm::kSlidingWindow);
  EXPECT_EQ(call.limit.window, 1500 * kMillisecond);
  EXPECT_EQ(call.request.cost, 3u);
  EXPECT_TRUE(call.request.drain_on_deny);
}

TEST(WireConvert, AbsentCostIsOneAndZeroCostPeeks) {
  wire::Check c;
  c.set_key("k");
  c.set_policy("p");
  CheckCall call;
  decode_check(c, call);
  EXPECT_EQ(call.request.cost, 1u);
  EXPECT_EQ(call.policy, "p");
  c.set_cost(0);
  decode_check(c, call);
  EXPECT_EQ(call.request.cost, 0u);
}

TEST(WireConvert, RefusalsCarryACodeAndASentence) {
  wire::Check c;
  CheckCall call;
  c.set_policy("p");
  decode_check(c, call);
  EXPECT_EQ(call.code, CheckCode::kInvalidKey);
  c.set_key(std::string(kMaxKeyBytes + 1, 'x'));
  decode_check(c, call);
  EXPECT_EQ(call.code, CheckCode::kInvalidKey);
  c.set_key("k");
  c.set_cost(uint64_t{1} << 33);
  decode_check(c, call);
  EXPECT_EQ(call.code, CheckCode::kInvalidCost);
  c.clear_cost();
  c.clear_policy();
  decode_check(c, call);
  EXPECT_EQ(call.code, CheckCode::kMissingLimit);
  c.mutable_limit()->set_window_ms(UINT64_MAX);
  decode_check(c, call);
  EXPECT_EQ(call.code, CheckCode::kInvalidLimit);
  EXPECT_FALSE(call.error.empty());
}

TEST(WireConvert, OutcomeRoundsRetryUpAndResetDown) {
  CheckOutcome o;
  o.decision.allowed = false;
  o.decision.limit = 5;
  o.decision.retry_after = kMillisecond + 1;
  o.decision.reset_at = 2 * kMillisecond + 999;
  o.message = "denied";
  wire::CheckResult r;
  encode_outcome(o, r);
  EXPECT_EQ(r.retry_after_ms(), 2);
  EXPECT_EQ(r.reset_at_ms(), 2);
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.message(), "denied");
}

}  // namespace
}  // namespace drl::service
