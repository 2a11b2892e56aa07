// The client's retry policy after OVERLOADED: waits never below the node's retry-after, grow
// with the last wait, are jittered; retries go to another node, spread over all the others.
#include "client/retry_policy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <vector>

namespace drl::client {
namespace {

uint64_t seed() {
  const char* env = std::getenv("DRL_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 42;
}

TEST(RetryPolicy, WaitIsAtLeastRetryAfterAndAtMostTwiceTheLastWait) {
  const uint64_t s = seed();
  SCOPED_TRACE("DRL_SEED=" + std::to_string(s));
  RetryPolicy policy(std::chrono::milliseconds(10), s);
  std::set<int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto w = policy.wait(20, std::chrono::milliseconds(100)).count();
    ASSERT_GE(w, 20);
    ASSERT_LE(w, 200);
    seen.insert(w);
  }
  EXPECT_GT(seen.size(), 50u) << "waits must be jittered, not in step";
  // No retry-after: the base is the floor; the first wait (no last wait) is the floor itself.
  EXPECT_EQ(policy.wait(0, std::chrono::milliseconds(0)).count(), 10);
  EXPECT_EQ(policy.wait(30, std::chrono::milliseconds(0)).count(), 30);
}

TEST(RetryPolicy, RetriesGoToTheOtherNodesUniformly) {
  const uint64_t s = seed();
  SCOPED_TRACE("DRL_SEED=" + std::to_string(s));
  RetryPolicy policy(std::chrono::milliseconds(10), s);
  std::vector<int> hits(4, 0);
  for (int i = 0; i < 4000; ++i) {
    const size_t n = policy.next_node(4, 2);
    ASSERT_LT(n, 4u);
    ASSERT_NE(n, 2u) << "a retry never returns to the node that shed it when others exist";
    ++hits[n];
  }
  for (size_t n : {0u, 1u, 3u}) EXPECT_GT(hits[n], 1000) << "node " << n;
}

TEST(RetryPolicy, OneNodeOrUnknownSender) {
  RetryPolicy policy(std::chrono::milliseconds(10), seed());
  EXPECT_EQ(policy.next_node(1, 0), 0u);
  std::set<size_t> seen;
  for (int i = 0; i < 200; ++i) seen.insert(policy.next_node(3, 3));  // sender unknown
  EXPECT_EQ(seen, (std::set<size_t>{0, 1, 2}));
}

}  // namespace
}  // namespace drl::client
