#include "cluster/peer_codec.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include "cluster/support/peer_codec_reference.h"

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
  c.memory_full = limits::MemoryFullMode::kRefuse;
  c.budget = 750 * kMillisecond;
  c.origin = "n7";
  c.origin_id = 1ull << 40;
  c.deadline = 1'700'000'000 * kSecond + 123;  // this node's own: never on the wire
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
  EXPECT_EQ(d.memory_full, limits::MemoryFullMode::kRefuse);
  EXPECT_EQ(d.budget, c.budget);
  EXPECT_EQ(d.origin, "n7");
  EXPECT_EQ(d.origin_id, c.origin_id);
  EXPECT_EQ(d.deadline, 0);
}

// An older build's forward carries a wall-clock deadline in field 8: it is skipped, never read
// as this node's time nor as a budget.
TEST(PeerCodecTest, AnOlderBuildsWallClockDeadlineIsIgnored) {
  ForwardedCheck c;
  c.request_id = 5;
  c.key = "k";
  c.limit = {limits::Algorithm::kFixedWindow, 10, kSecond, 0, limits::Calendar::kNone};
  std::string bytes = encode_peer_message(CheckBatch{{c}});
  // PeerMessage{checks(1): PeerCheckBatch{checks(1): PeerForwardedCheck{... deadline_ns(8)}}}
  const std::string deadline_field = "\x40\x01";  // field 8, varint 1
  ASSERT_EQ(bytes[0], '\x0a');
  ASSERT_EQ(bytes[2], '\x0a');
  bytes.insert(bytes.end(), deadline_field.begin(), deadline_field.end());
  bytes[1] = static_cast<char>(bytes[1] + 2);
  bytes[3] = static_cast<char>(bytes[3] + 2);
  PeerMessage out;
  ASSERT_EQ(decode_peer_message(bytes, out), "");
  const auto& d = std::get<CheckBatch>(out).checks.at(0);
  EXPECT_EQ(d.request_id, 5u);
  EXPECT_EQ(d.budget, 0);
  EXPECT_EQ(d.deadline, 0);
}

TEST(PeerCodecTest, AnswerBatchRoundTrips) {
  CheckAnswer a;
  a.request_id = 9;
  a.decision = {true, false, 10, 4, 1000, 0, 5, true, true};
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
  EXPECT_TRUE(d.decision.untracked);
  EXPECT_TRUE(d.decision.reset_by_eviction);
  EXPECT_EQ(d.decided_by, "n3");
  EXPECT_TRUE(d.degraded);
  EXPECT_EQ(d.error, a.error);
}

// The peer links' loss probe (net/peer_link.h) is an empty answer batch: it must decode, as
// an answer batch with nothing in it, or a probe would close the connection it probes.
TEST(PeerCodecTest, AnEmptyAnswerBatchRoundTrips) {
  PeerMessage out;
  ASSERT_EQ(decode_peer_message(encode_peer_message(AnswerBatch{}), out), "");
  ASSERT_TRUE(std::holds_alternative<AnswerBatch>(out));
  EXPECT_TRUE(std::get<AnswerBatch>(out).answers.empty());
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

// Hand-made wire bytes for what the encoder never writes but protobuf accepts or refuses
// (tests/cluster/peer_codec_diff_test.cpp compares both decoders on random such bytes).
std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}
// One length-delimited field: tag byte, one-byte length, payload.
std::string field(int tag, const std::string& payload) {
  return bytes({tag, static_cast<int>(payload.size())}) + payload;
}

TEST(PeerCodecTest, SkipsUnknownFieldsOfEveryWireTypeIncludingGroups) {
  const std::string check = bytes({0x08, 42}) + bytes({0x48, 1}) +           // 9: varint
                            bytes({0x51, 1, 2, 3, 4, 5, 6, 7, 8}) +          // 10: fixed64
                            field(0x5a, "ab") + bytes({0x65, 1, 2, 3, 4}) +  // 11, 12
                            bytes({0x6b, 0x08, 1, 0x73, 0x74, 0x6c}) +       // 13: group
                            bytes({0x0d, 0, 0, 0, 0});  // 1 as fixed32: unknown, not request_id
  PeerMessage out;
  ASSERT_EQ(decode_peer_message(bytes({0x30, 7}) + field(0x0a, field(0x0a, check)), out), "");
  ASSERT_EQ(std::get<CheckBatch>(out).checks.size(), 1u);
  EXPECT_EQ(std::get<CheckBatch>(out).checks[0].request_id, 42u);
  EXPECT_EQ(std::get<CheckBatch>(out).checks[0].hops, 0u);  // absent: proto3 zero
}

TEST(PeerCodecTest, MergesAsProtobufDoes) {
  PeerMessage out;
  // request_id twice: the last wins; two bodies of one kind concatenate; limit twice merges.
  const std::string c1 =
      bytes({0x08, 1, 0x08, 2}) + field(0x2a, bytes({0x08, 3})) + field(0x2a, bytes({0x10, 9}));
  ASSERT_EQ(decode_peer_message(
                field(0x0a, field(0x0a, c1)) + field(0x0a, field(0x0a, bytes({0x08, 5}))), out),
            "");
  const auto& checks = std::get<CheckBatch>(out).checks;
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].request_id, 2u);
  EXPECT_EQ(checks[0].limit.algorithm, limits::Algorithm::kSlidingLog);
  EXPECT_EQ(checks[0].limit.limit, 9u);
  EXPECT_EQ(checks[1].request_id, 5u);
  // A later body of another kind replaces the earlier one (a oneof), with its errors.
  const std::string bad = field(0x0a, field(0x2a, bytes({0x08, 77})));
  ASSERT_EQ(decode_peer_message(field(0x0a, bad) + field(0x12, ""), out), "");
  EXPECT_TRUE(std::get<AnswerBatch>(out).answers.empty());
  EXPECT_EQ(decode_peer_message(field(0x12, "") + field(0x0a, bad), out),
            "check: unknown algorithm 77");
  // The log packed, unpacked, and both.
  const std::string rec = bytes({0x30, 5}) + field(0x32, bytes({6, 0x7f})) + bytes({0x30, 1});
  ASSERT_EQ(decode_peer_message(field(0x1a, field(0x0a, rec)), out), "");
  EXPECT_EQ(std::get<ReplicaBatch>(out).records.at(0).log, (limits::SlidingLog{5, 6, 127, 1}));
}

TEST(PeerCodecTest, MalformedBytesAreErrorsThatSayWhere) {
  google::protobuf::SetLogHandler(nullptr);  // the reference logs the invalid UTF-8 below
  PeerMessage out;
  const std::string ok = field(0x0a, field(0x0a, bytes({0x08, 1})));
  const std::vector<std::string> bad = {
      bytes({0x0a, 5, 0x0a}),  // length past end
      bytes({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),  // 11 B
      bytes({0x09, 1, 2, 3}),                                 // truncated fixed64
      bytes({0x0d, 1, 2}),                                    // truncated fixed32
      bytes({0x0b, 0x08, 1}),                                 // group never closed
      bytes({0x0b, 0x14}),                                    // group closed by another field's end
      bytes({0x0c}),                                          // end-group outside a group
      bytes({0x00}),                                          // field number 0
      bytes({0x0f}),                                          // wire type 7
      bytes({0x88, 0x80, 0x80, 0x80, 0x80, 0x00}),            // tag over 5 bytes
      field(0x12, field(0x0a, field(0x1a, "\xc0\x80"))),      // decided_by: overlong, not UTF-8
      field(0x12, field(0x0a, field(0x32, "\xed\xa0\x80"))),  // error: a surrogate
      field(0x1a, field(0x0a, field(0x32, bytes({0x80})))),   // packed log truncated
  };
  for (const std::string& b : bad) {
    const std::string error = decode_peer_message(ok + b, out);
    EXPECT_NE(error.find("is not a valid drl.v1.PeerMessage: "), std::string::npos) << error;
    EXPECT_NE(error.find("(at byte "), std::string::npos) << error;
    EXPECT_EQ(reference::decode_peer_message(ok + b, out), reference::kNotValid) << error;
  }
}

}  // namespace
}  // namespace drl::cluster
