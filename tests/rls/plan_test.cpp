// The RLS planner and answer against envoyproxy/ratelimit's service behaviour: errors,
// overrides, replaces, unlimited, shadow, hits_addend, statuses and the RateLimit headers. The
// decisions come from the real fixed-window algorithm, stepped by hand in simulated time.
#include <gtest/gtest.h>

#include <map>

#include "limits/algorithm.h"
#include "rls/plan.h"
#include "rls/support/rls_request.h"

namespace drl::rls {
namespace {

RateLimitRequest request(const std::string& domain,
                         const std::vector<testing::DescriptorEntries>& descriptors,
                         uint32_t hits_addend = 0) {
  return testing::rls_request(domain, descriptors, hits_addend);
}

constexpr const char* kConfig = R"(
domain: shop
descriptors:
  - key: user
    rate_limit: {unit: minute, requests_per_unit: 3}
  - key: ip
    value: 10.0.0.9
    rate_limit: {unit: second, requests_per_unit: 0}
  - key: ldap
    rate_limit: {unlimited: true}
  - key: trial
    shadow_mode: true
    rate_limit: {unit: hour, requests_per_unit: 1}
  - key: key_1
    value: value_1
    descriptors:
      - key: user
        value: bkthomps
        rate_limit: {name: specific_limit, requests_per_unit: 5, unit: second}
  - key: key_2
    value: value_2
    descriptors:
      - key: user
        value: bkthomps
        rate_limit:
          replaces:
            - name: specific_limit
          requests_per_unit: 10
          unit: second
  - key: tb
    rate_limit: {unit: second, requests_per_unit: 10, algorithm: token_bucket}
)";

// A tiny in-memory check path: one State per counted key, decided by drl's algorithms.
class Harness {
 public:
  Harness() {
    auto load = parse_rls_config(kConfig, "shop.yaml");
    EXPECT_TRUE(load.ok()) << load.error;
    config_ = load.config;
  }

  RateLimitResponse call(const RateLimitRequest& req, RlsAnswerOptions options = {}) {
    const RlsPlan plan = plan_request(config_.get(), req);
    EXPECT_TRUE(plan.error.empty()) << plan.error;
    std::vector<limits::Decision> decisions;
    for (const PlannedDescriptor& d : plan.descriptors) {
      if (d.kind != PlanKind::kCheck) continue;
      limits::Request r;
      r.cost = d.cost;
      r.shadow = d.shadow;
      decisions.push_back(limits::decide(d.limit, states_[d.key], nullptr, r, now));
    }
    EXPECT_EQ(decisions.size(), plan.checks);
    RateLimitResponse out;
    answer(plan, decisions, now, options, out);
    return out;
  }

  std::string error(const RateLimitRequest& req) { return plan_request(config_.get(), req).error; }

  std::shared_ptr<const RlsConfig> config_;
  std::map<std::string, limits::State> states_;
  TimePoint now = 1'700'000'000 * kSecond + 250 * kMillisecond;  // 20 s into a minute
};

TEST(RlsPlan, FixedWindowNumbersAsEnvoyRatelimit) {
  Harness h;
  for (uint32_t expect_remaining : {2u, 1u, 0u}) {
    const RateLimitResponse r = h.call(request("shop", {{{"user", "alice"}}}));
    EXPECT_EQ(r.overall_code(), RateLimitResponse::OK);
    ASSERT_EQ(r.statuses_size(), 1);
    const auto& s = r.statuses(0);
    EXPECT_EQ(s.code(), RateLimitResponse::OK);
    EXPECT_EQ(s.limit_remaining(), expect_remaining);
    EXPECT_EQ(s.current_limit().requests_per_unit(), 3u);
    EXPECT_EQ(s.current_limit().unit(), RateLimitResponse::RateLimit::MINUTE);
    // 1,700,000,000 s is 20 s into its minute: 40 s left, as 60 - now % 60.
    EXPECT_EQ(s.duration_until_reset().seconds(), 40);
  }
  const RateLimitResponse over = h.call(request("shop", {{{"user", "alice"}}}));
  EXPECT_EQ(over.overall_code(), RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(over.statuses(0).code(), RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(over.statuses(0).limit_remaining(), 0u);
  // Another user has a counter of its own.
  EXPECT_EQ(h.call(request("shop", {{{"user", "bob"}}})).overall_code(), RateLimitResponse::OK);
  // The next minute starts afresh.
  h.now += 40 * kSecond;
  EXPECT_EQ(h.call(request("shop", {{{"user", "alice"}}})).statuses(0).limit_remaining(), 2u);
}

TEST(RlsPlan, NoRuleAndUnknownDomainAreOkWithoutCurrentLimit) {
  Harness h;
  for (const RateLimitRequest& req :
       {request("shop", {{{"nothing", "here"}}}), request("elsewhere", {{{"user", "alice"}}}),
        request("shop", {{{"user", "alice"}, {"deeper", "x"}}})}) {
    const RateLimitResponse r = h.call(req);
    EXPECT_EQ(r.overall_code(), RateLimitResponse::OK);
    ASSERT_EQ(r.statuses_size(), 1);
    EXPECT_EQ(r.statuses(0).code(), RateLimitResponse::OK);
    EXPECT_FALSE(r.statuses(0).has_current_limit());
  }
  EXPECT_TRUE(h.states_.empty());
}

TEST(RlsPlan, UnlimitedIsOkWithMaxRemainingAndNeverCounted) {
  Harness h;
  const RateLimitResponse r = h.call(request("shop", {{{"ldap", "x"}}}));
  EXPECT_EQ(r.statuses(0).code(), RateLimitResponse::OK);
  EXPECT_EQ(r.statuses(0).limit_remaining(), 4294967295u);
  EXPECT_FALSE(r.statuses(0).has_current_limit());
  EXPECT_TRUE(h.states_.empty());
}

TEST(RlsPlan, ZeroRequestsPerUnitBlocks) {
  Harness h;
  const RateLimitResponse r = h.call(request("shop", {{{"ip", "10.0.0.9"}}}));
  EXPECT_EQ(r.overall_code(), RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(r.statuses(0).current_limit().requests_per_unit(), 0u);
  EXPECT_EQ(r.statuses(0).duration_until_reset().seconds(), 1);
  // Another address falls to no rule.
  EXPECT_EQ(h.call(request("shop", {{{"ip", "10.0.0.8"}}})).overall_code(), RateLimitResponse::OK);
}

TEST(RlsPlan, ShadowModeCountsButNeverDenies) {
  Harness h;
  EXPECT_EQ(h.call(request("shop", {{{"trial", "t"}}})).statuses(0).limit_remaining(), 0u);
  const RateLimitResponse r = h.call(request("shop", {{{"trial", "t"}}}));
  EXPECT_EQ(r.overall_code(), RateLimitResponse::OK);
  EXPECT_EQ(r.statuses(0).code(), RateLimitResponse::OK);
  EXPECT_EQ(r.statuses(0).limit_remaining(), 0u);
  EXPECT_TRUE(r.statuses(0).has_current_limit());
}

TEST(RlsPlan, ReplacesDropsTheReplacedRule) {
  Harness h;
  // README example 7: with both descriptors, only the replacing 10/s rule is applied.
  const RateLimitRequest both = request("shop", {{{"key_1", "value_1"}, {"user", "bkthomps"}},
                                                 {{"key_2", "value_2"}, {"user", "bkthomps"}}});
  for (int i = 0; i < 10; ++i) {
    const RateLimitResponse r = h.call(both);
    ASSERT_EQ(r.overall_code(), RateLimitResponse::OK) << i;
    EXPECT_FALSE(r.statuses(0).has_current_limit());
    EXPECT_EQ(r.statuses(1).current_limit().requests_per_unit(), 10u);
  }
  EXPECT_EQ(h.call(both).overall_code(), RateLimitResponse::OVER_LIMIT);
  // The replaced 5/s rule was never charged.
  const RateLimitResponse alone =
      h.call(request("shop", {{{"key_1", "value_1"}, {"user", "bkthomps"}}}));
  EXPECT_EQ(alone.statuses(0).limit_remaining(), 4u);
}

TEST(RlsPlan, HitsAddend) {
  Harness h;
  EXPECT_EQ(h.call(request("shop", {{{"user", "a"}}}, 2)).statuses(0).limit_remaining(), 1u);
  // A descriptor's own hits_addend wins; an explicit 0 checks without charging.
  RateLimitRequest peek = request("shop", {{{"user", "a"}}}, 2);
  peek.mutable_descriptors(0)->mutable_hits_addend()->set_value(0);
  EXPECT_EQ(h.call(peek).statuses(0).limit_remaining(), 1u);
  EXPECT_EQ(h.call(peek).statuses(0).limit_remaining(), 1u);
  RateLimitRequest two = request("shop", {{{"user", "a"}}}, 1);
  two.mutable_descriptors(0)->mutable_hits_addend()->set_value(2);
  EXPECT_EQ(h.call(two).overall_code(), RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(h.call(request("shop", {{{"user", "a"}}})).statuses(0).limit_remaining(), 0u);
}

TEST(RlsPlan, LimitOverrideBypassesTheConfig) {
  Harness h;
  RateLimitRequest req = request("shop", {{{"anything", "x"}}});
  auto* limit = req.mutable_descriptors(0)->mutable_limit();
  limit->set_requests_per_unit(2);
  limit->set_unit(envoy::type::v3::SECOND);
  EXPECT_EQ(h.call(req).statuses(0).limit_remaining(), 1u);
  EXPECT_EQ(h.call(req).statuses(0).current_limit().unit(), RateLimitResponse::RateLimit::SECOND);
  EXPECT_EQ(h.call(req).overall_code(), RateLimitResponse::OVER_LIMIT);
  // Only in a configured domain, as envoyproxy/ratelimit.
  RateLimitRequest unknown = req;
  unknown.set_domain("elsewhere");
  EXPECT_FALSE(h.call(unknown).statuses(0).has_current_limit());
  // A configured rule of the same entries is counted apart from the override.
  RateLimitRequest user = request("shop", {{{"user", "x"}}});
  const RateLimitRequest plain = user;
  *user.mutable_descriptors(0)->mutable_limit() = *limit;
  h.call(user);
  h.call(user);
  EXPECT_EQ(h.call(plain).statuses(0).limit_remaining(), 2u);
}

TEST(RlsPlan, OtherAlgorithms) {
  Harness h;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(h.call(request("shop", {{{"tb", "k"}}})).overall_code(), RateLimitResponse::OK);
  }
  EXPECT_EQ(h.call(request("shop", {{{"tb", "k"}}})).overall_code(), RateLimitResponse::OVER_LIMIT);
  h.now += 100 * kMillisecond;  // a token bucket of 10/s refills one token per 100 ms
  const RateLimitResponse r = h.call(request("shop", {{{"tb", "k"}}}));
  EXPECT_EQ(r.overall_code(), RateLimitResponse::OK);
  EXPECT_EQ(r.statuses(0).duration_until_reset().seconds(), 1);
}

TEST(RlsPlan, OneStatusPerDescriptorInOrderAndHeaders) {
  Harness h;
  h.call(request("shop", {{{"user", "u"}}}));
  const RateLimitResponse r =
      h.call(request("shop", {{{"nothing", "x"}}, {{"ldap", "y"}}, {{"user", "u"}}, {{"tb", "t"}}}),
             RlsAnswerOptions{.response_headers = true});
  ASSERT_EQ(r.statuses_size(), 4);
  EXPECT_FALSE(r.statuses(0).has_current_limit());
  EXPECT_EQ(r.statuses(1).limit_remaining(), 4294967295u);
  EXPECT_EQ(r.statuses(2).limit_remaining(), 1u);
  EXPECT_EQ(r.statuses(3).limit_remaining(), 9u);
  ASSERT_EQ(r.response_headers_to_add_size(), 3);
  EXPECT_EQ(r.response_headers_to_add(0).key(), "RateLimit-Limit");
  EXPECT_EQ(r.response_headers_to_add(0).value(), "3");
  EXPECT_EQ(r.response_headers_to_add(1).key(), "RateLimit-Remaining");
  EXPECT_EQ(r.response_headers_to_add(1).value(), "1");
  EXPECT_EQ(r.response_headers_to_add(2).key(), "RateLimit-Reset");
  EXPECT_EQ(r.response_headers_to_add(2).value(), "40");
  // Without the option, no headers.
  EXPECT_EQ(h.call(request("shop", {{{"user", "v"}}})).response_headers_to_add_size(), 0);
}

// Envoy's protocol has no code for memory pressure: a descriptor the owner's full store did not
// track is decided by the degrade rule (denied: OVER_LIMIT; allowed: OK) and the response's
// dynamic metadata says how many were untracked or reset by an eviction.
TEST(RlsPlan, MemoryPressureIsDecidedAndNamedInTheDynamicMetadata) {
  Harness h;
  const RlsPlan plan =
      plan_request(h.config_.get(), request("shop", {{{"user", "a"}}, {{"tb", "b"}}}));
  ASSERT_EQ(plan.checks, 2u);
  std::vector<limits::Decision> decisions(2);
  decisions[0].allowed = false;  // untracked, the inline limit's degrade mode (local) denies
  decisions[0].untracked = true;
  decisions[1].allowed = true;
  decisions[1].remaining = 9;
  decisions[1].reset_by_eviction = true;
  RateLimitResponse r;
  answer(plan, decisions, h.now, {}, r);
  EXPECT_EQ(r.overall_code(), RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(r.statuses(0).code(), RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(r.statuses(1).code(), RateLimitResponse::OK);
  const auto& fields = r.dynamic_metadata().fields();
  ASSERT_TRUE(fields.contains("drl_memory_full"));
  EXPECT_EQ(fields.at("drl_memory_full").string_value(), "memory full: key not tracked");
  EXPECT_EQ(fields.at("drl_untracked_descriptors").number_value(), 1);
  EXPECT_EQ(fields.at("drl_reset_by_eviction_descriptors").number_value(), 1);
  // Without memory pressure there is no metadata.
  EXPECT_FALSE(h.call(request("shop", {{{"user", "c"}}})).has_dynamic_metadata());
}

TEST(RlsPlan, InvalidRequestsAreRefusedWithAReason) {
  Harness h;
  EXPECT_EQ(h.error(request("", {{{"user", "a"}}})), "rate limit domain must not be empty");
  EXPECT_EQ(h.error(request("shop", {})), "rate limit descriptor list must not be empty");
  EXPECT_EQ(h.error(request("shop", {{{"user", "a"}}, {}})), "descriptor 1 has no entries");
  EXPECT_EQ(h.error(request("shop", {{{"", "a"}}})), "descriptor 0 entry 0 has an empty key");
  RateLimitRequest no_unit = request("shop", {{{"user", "a"}}});
  no_unit.mutable_descriptors(0)->mutable_limit()->set_requests_per_unit(5);
  EXPECT_EQ(h.error(no_unit),
            "descriptor 0: its limit override needs a unit (SECOND, MINUTE, HOUR, DAY, MONTH or "
            "YEAR)");
  RateLimitRequest huge = request("shop", {{{"user", "a"}}});
  huge.mutable_descriptors(0)->mutable_hits_addend()->set_value(uint64_t{1} << 32);
  EXPECT_EQ(h.error(huge), "descriptor 0: hits_addend must be at most 4294967295");
  EXPECT_EQ(h.error(request("shop", {{{"user", std::string(5000, 'x')}}})),
            "descriptor 0 is too long (its keys and values exceed 4000 bytes)");
}

TEST(RlsPlan, CountedKeysSeparateDomainsRulesAndValues) {
  Harness h;
  auto key_of = [&](const RateLimitRequest& r) {
    return plan_request(h.config_.get(), r).descriptors[0].key;
  };
  EXPECT_NE(key_of(request("shop", {{{"user", "ab"}}})),
            key_of(request("shop", {{{"user", "a"}}})));
  EXPECT_EQ(key_of(request("shop", {{{"user", "ab"}}})),
            key_of(request("shop", {{{"user", "ab"}}})));
  EXPECT_NE(key_of(request("shop", {{{"user", "x"}}})), key_of(request("shop", {{{"tb", "x"}}})));
}

}  // namespace
}  // namespace drl::rls
