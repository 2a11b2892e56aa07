// The test vectors of docs/protocol.md, "Routing to owners": placement key bytes, their
// XXH3-64 hash, and the owner in a ring of n1, n2, n3. A client in another language checks
// itself against the same table; this test keeps the table true.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "client/owner_router.h"
#include "common/key_hash.h"
#include "ring/ring.h"
#include "service/wire_convert.h"

namespace drl::client {
namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  char b[3];
  for (unsigned char c : bytes) {
    std::snprintf(b, sizeof b, "%02x", c);
    out += b;
  }
  return out;
}

struct Vector {
  const char* what;  // the check, as the doc's table says it
  wire::Check check;
  const char* key_hex;  // placement key bytes
  uint64_t hash;        // XXH3-64, seed 0
  const char* owner;
  const char* replicas;  // the owner and its successors (replicas 3)
};

wire::Check inline_check(std::string key, wire::Algorithm a, uint64_t limit, uint64_t window_ms,
                         uint64_t burst = 0, wire::Calendar calendar = wire::CALENDAR_NONE) {
  wire::Check c;
  c.set_key(std::move(key));
  c.mutable_limit()->set_algorithm(a);
  c.mutable_limit()->set_limit(limit);
  c.mutable_limit()->set_window_ms(window_ms);
  c.mutable_limit()->set_burst(burst);
  c.mutable_limit()->set_calendar(calendar);
  return c;
}

wire::Check policy_check(std::string key, std::string policy) {
  wire::Check c;
  c.set_key(std::move(key));
  c.set_policy(std::move(policy));
  return c;
}

TEST(PlacementVectors, MatchTheProtocolDoc) {
  const ring::Ring ring(
      {{"n1", "127.0.0.1:7000"}, {"n2", "127.0.0.1:7001"}, {"n3", "127.0.0.1:7002"}});
  const Vector vectors[] = {
      {"`user:42`, token bucket 10 per 1000 ms",
       inline_check("user:42", wire::TOKEN_BUCKET, 10, 1000), "6900000a8094ebdc0300757365723a3432",
       726673023410130660u, "n2", "n2 n3 n1"},
      {"`user:42`, policy `api_per_user`", policy_check("user:42", "api_per_user"),
       "706170695f7065725f7573657200757365723a3432", 11815263364394483606u, "n1", "n1 n2 n3"},
      {"`ip:10.0.0.1`, leaky bucket 5 per 1000 ms, burst 2",
       inline_check("ip:10.0.0.1", wire::LEAKY_BUCKET, 5, 1000, 2),
       "690100058094ebdc030269703a31302e302e302e31", 12713657768932221218u, "n2", "n2 n1 n3"},
      {"`tenant:7`, fixed window 1000 per calendar day (no window_ms)",
       inline_check("tenant:7", wire::FIXED_WINDOW, 1000, 0, 0, wire::CALENDAR_DAY),
       "690202e807000074656e616e743a37", 17697189966197288940u, "n1", "n1 n2 n3"},
      {"`k`, sliding window 100 per 60000 ms", inline_check("k", wire::SLIDING_WINDOW, 100, 60000),
       "6904006480b09dc2df01006b", 9606997623948010745u, "n3", "n3 n1 n2"},
  };
  for (const auto& v : vectors) {
    service::CheckCall call;
    service::decode_check(v.check, call);
    ASSERT_EQ(call.code, service::CheckCode::kOk) << v.what;
    std::string key;
    placement_key(call, key);
    const uint64_t hash = key_hash(key);
    std::string replicas;
    for (auto m : ring.preference_list(hash, 3))
      replicas += (replicas.empty() ? "" : " ") + ring.member(m).id;
    EXPECT_EQ(hex(key), v.key_hex) << v.what;
    EXPECT_EQ(hash, v.hash) << v.what;
    EXPECT_EQ(ring.member(ring.owner(hash)).id, v.owner) << v.what;
    EXPECT_EQ(replicas, v.replicas) << v.what;
  }
  // The ring's epoch and first token, as the doc gives them for a client to check its tokens.
  EXPECT_EQ(ring.epoch(), 10918899964131808274u);
  EXPECT_EQ(ring.tokens().front().hash, 64710723389760024u);
}

}  // namespace
}  // namespace drl::client
