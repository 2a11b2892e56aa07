// The native door's response writer against the generated classes: for any outcomes, the
// bytes it writes are the bytes protobuf serializes for the CheckResponse that
// encode_outcome() fills, and parse back to the same fields.
#include "service/check_response_writer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "drl/client.pb.h"
#include "limits/limit.h"
#include "service/wire_convert.h"

namespace drl::service {
namespace {

std::string generated(std::span<const CheckOutcome> outcomes, std::string_view node) {
  wire::CheckResponse r;
  r.set_decided_by(std::string(node));
  for (const auto& o : outcomes) encode_outcome(o, *r.add_results());
  return r.SerializeAsString();
}

std::string written(std::span<const CheckOutcome> outcomes, std::string_view node) {
  std::string out(check_response_size(outcomes, node), '\0');
  char* end = write_check_response(out.data(), outcomes, node);
  EXPECT_EQ(end, out.data() + out.size()) << "the writer wrote what the size said";
  return out;
}

int64_t random_signed(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return 0;
    case 1:
      return static_cast<int64_t>(rng() % 5'000'000'000);
    case 2:
      return -static_cast<int64_t>(rng() % 5'000'000'000);
    case 3:
      return static_cast<int64_t>(rng());
    default:
      return limits::kNever;
  }
}

CheckOutcome random_outcome(std::mt19937_64& rng, std::vector<std::string>& texts) {
  CheckOutcome o;
  constexpr ResultCode kCodes[] = {ResultCode::kOk,           ResultCode::kUnknownPolicy,
                                   ResultCode::kInvalidLimit, ResultCode::kInvalidKey,
                                   ResultCode::kInvalidCost,  ResultCode::kMissingLimit,
                                   ResultCode::kOverloaded,   ResultCode::kUnavailable,
                                   ResultCode::kInternal,     ResultCode::kMemoryFull};
  o.code = kCodes[rng() % std::size(kCodes)];
  auto& d = o.decision;
  d.allowed = rng() % 2;
  d.shadow_denied = rng() % 4 == 0;
  d.limit = rng() % 3 == 0 ? 0 : rng() % 2 ? rng() % 1000 : rng();
  d.remaining = rng() % 3 == 0 ? 0 : rng() % 2 ? rng() % 1000 : rng();
  d.reset_at = random_signed(rng);
  d.retry_after = random_signed(rng);
  d.delay = random_signed(rng);
  d.reset_by_eviction = rng() % 5 == 0;
  o.degraded = rng() % 4 == 0;
  if (rng() % 3 == 0) o.message = std::string(rng() % 200, 'm');
  if (rng() % 3 == 0) {
    texts.push_back("n" + std::to_string(rng() % 100));
    o.decided_by = texts.back();
  }
  return o;
}

TEST(CheckResponseWriter, WritesTheGeneratedSerializersBytes) {
  std::mt19937_64 rng(20);
  for (int i = 0; i < 5000; ++i) {
    std::vector<std::string> texts;
    texts.reserve(300);
    std::vector<CheckOutcome> outcomes(rng() % 6);
    for (auto& o : outcomes) o = random_outcome(rng, texts);
    const std::string node = rng() % 4 == 0 ? "" : "node-" + std::to_string(rng() % 10);
    const std::string want = generated(outcomes, node);
    ASSERT_EQ(written(outcomes, node), want) << "case " << i;
  }
}

TEST(CheckResponseWriter, AnAllDefaultResultIsStillOneResult) {
  // An OK, denied outcome with every number 0: the result's fields are all defaults, and the
  // result itself must still be there (one per check, in order).
  std::vector<CheckOutcome> outcomes(2);
  const std::string bytes = written(outcomes, "");
  wire::CheckResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.results_size(), 2);
  EXPECT_EQ(bytes, generated(outcomes, ""));
}

}  // namespace
}  // namespace drl::service
