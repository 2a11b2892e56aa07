// The load generator's light Response reader against protobuf's own parser.
#include "cli/response_scan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/random.h"
#include "drl/client.pb.h"

namespace drl::cli {
namespace {

std::vector<uint8_t> bytes(const google::protobuf::MessageLite& m) {
  const std::string s = m.SerializeAsString();
  return {s.begin(), s.end()};
}

// What a generator counts, the slow way.
ResponseTally expected(const wire::Response& r) {
  ResponseTally t;
  t.id = r.id();
  t.check = r.has_check();
  for (const auto& result : r.check().results()) {
    if (t.results == 0) t.first_overloaded = result.code() == wire::OVERLOADED;
    ++t.results;
    if (result.code() != wire::OK) {
      ++t.errors;
      if (result.code() == wire::OVERLOADED) ++t.overloaded;
    } else if (result.allowed()) {
      ++t.allowed;
    } else {
      ++t.denied;
    }
  }
  return t;
}

void expect_same(const ResponseTally& got, const ResponseTally& want, const std::string& why) {
  EXPECT_EQ(got.id, want.id) << why;
  EXPECT_EQ(got.check, want.check) << why;
  EXPECT_EQ(got.results, want.results) << why;
  EXPECT_EQ(got.allowed, want.allowed) << why;
  EXPECT_EQ(got.denied, want.denied) << why;
  EXPECT_EQ(got.errors, want.errors) << why;
  EXPECT_EQ(got.overloaded, want.overloaded) << why;
  EXPECT_EQ(got.first_overloaded, want.first_overloaded) << why;
}

TEST(ResponseScan, CountsAllowedDeniedAndErrorsOfACheckResponse) {
  wire::Response r;
  r.set_id(300);  // a two-byte varint
  auto* check = r.mutable_check();
  check->set_decided_by("node-a");
  auto* a = check->add_results();
  a->set_allowed(true);
  a->set_limit(100);
  a->set_remaining(99);
  a->set_reset_at_ms(1'700'000'000'000);
  auto* d = check->add_results();
  d->set_retry_after_ms(250);
  d->set_message("key 'x' is over its limit");
  auto* o = check->add_results();
  o->set_code(wire::OVERLOADED);
  o->set_message("not decided");
  ResponseTally t;
  ASSERT_TRUE(scan_response(bytes(r), t));
  EXPECT_EQ(t.id, 300u);
  EXPECT_TRUE(t.check);
  EXPECT_EQ(t.results, 3u);
  EXPECT_EQ(t.allowed, 1u);
  EXPECT_EQ(t.denied, 1u);
  EXPECT_EQ(t.errors, 1u);
  EXPECT_EQ(t.overloaded, 1u);
  EXPECT_FALSE(t.first_overloaded);
}

TEST(ResponseScan, ErrorAndStatusBodiesAreNotChecks) {
  wire::Response e;
  e.set_id(7);
  e.mutable_error()->set_message("bad");
  ResponseTally t;
  ASSERT_TRUE(scan_response(bytes(e), t));
  EXPECT_EQ(t.id, 7u);
  EXPECT_FALSE(t.check);
  wire::Response s;
  s.mutable_status()->set_node_id("n");
  ASSERT_TRUE(scan_response(bytes(s), t));
  EXPECT_FALSE(t.check);
}

TEST(ResponseScan, TruncatedOrGarbageBytesAreRefusedWithoutReadingPastTheEnd) {
  wire::Response r;
  r.set_id(1);
  r.mutable_check()->add_results()->set_message("a denial sentence");
  const auto full = bytes(r);
  ResponseTally t;
  for (size_t n = 1; n < full.size(); ++n) {
    // A cut inside a length-delimited field or a varint is refused; a cut at a field
    // boundary is a valid shorter message. Either way nothing past `n` is read (ASan).
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    scan_response(cut, t);
  }
  EXPECT_FALSE(scan_response(std::vector<uint8_t>{0x12, 0x05, 0x0a}, t));  // length past end
  EXPECT_FALSE(scan_response(std::vector<uint8_t>{0x0b}, t));              // a group
  EXPECT_FALSE(scan_response(std::vector<uint8_t>(11, 0xff), t));          // endless varint
}

TEST(ResponseScan, AgreesWithProtobufOnRandomResponses) {
  const char* env = std::getenv("DRL_SEED");
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : 20261129;
  Random random(seed);
  for (int round = 0; round < 2000; ++round) {
    wire::Response r;
    r.set_id(random.below(2) != 0 ? random() : random.below(200));
    switch (random.below(4)) {
      case 0:
        r.mutable_error()->set_message("e");
        break;
      case 1:
        r.mutable_status()->set_keys(random.below(1000));
        break;
      default: {
        auto* check = r.mutable_check();
        if (random.below(2) != 0) check->set_decided_by("node");
        const uint64_t n = random.below(70);
        for (uint64_t i = 0; i < n; ++i) {
          auto* x = check->add_results();
          x->set_code(static_cast<wire::Code>(random.below(9)));
          x->set_allowed(random.below(2) != 0);
          x->set_limit(random());
          x->set_remaining(random.below(1000));
          x->set_reset_at_ms(static_cast<int64_t>(random.below(uint64_t{1} << 50)));
          x->set_retry_after_ms(-static_cast<int64_t>(random.below(3)));
          if (random.below(3) == 0) x->set_message(std::string(random.below(200), 'm'));
          x->set_degraded(random.below(2) != 0);
          x->set_delay_ms(static_cast<int64_t>(random.below(5)));
          if (random.below(4) == 0) x->set_decided_by("other");
        }
      }
    }
    ResponseTally t;
    ASSERT_TRUE(scan_response(bytes(r), t)) << "DRL_SEED=" << seed << " round " << round;
    expect_same(t, expected(r),
                "DRL_SEED=" + std::to_string(seed) + " round " + std::to_string(round));
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace drl::cli
