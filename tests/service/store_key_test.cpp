// The store key of a check: the node keys its store with it and the smart client hashes it
// onto the ring, so it must tell limits apart and be stable.
#include "service/store_key.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "service/wire_convert.h"

namespace drl::service {
namespace {

std::string key_of(const wire::Check& check) {
  CheckCall call;
  decode_check(check, call);
  std::string out;
  store_key_for(call, out);
  return out;
}

TEST(StoreKey, OneUserKeyUnderDifferentLimitsHasDifferentKeys) {
  std::set<std::string> seen;
  wire::Check c;
  c.set_key("user:1");
  c.set_policy("api");
  seen.insert(key_of(c));
  c.set_policy("ap");  // a policy name that is a prefix of another
  seen.insert(key_of(c));
  c.mutable_limit()->set_limit(10);
  c.mutable_limit()->set_window_ms(1000);
  seen.insert(key_of(c));
  c.mutable_limit()->set_limit(11);
  seen.insert(key_of(c));
  c.mutable_limit()->set_window_ms(1001);
  seen.insert(key_of(c));
  c.mutable_limit()->set_burst(5);
  seen.insert(key_of(c));
  c.mutable_limit()->set_algorithm(wire::Algorithm::SLIDING_WINDOW);
  seen.insert(key_of(c));
  EXPECT_EQ(seen.size(), 7u);
}

TEST(StoreKey, PolicyNameAndUserKeyCannotBeConfused) {
  wire::Check a, b;
  a.set_policy("ab");
  a.set_key("c");
  b.set_policy("a");
  b.set_key("bc");
  EXPECT_NE(key_of(a), key_of(b));
  EXPECT_EQ(key_of(a), key_of(a));
  EXPECT_EQ(key_of(a), std::string("pab\0c", 5));
}

}  // namespace
}  // namespace drl::service
