// All or nothing over a CheckDecider: groups of checks decided concurrently from many threads
// through an in-memory decider (drl's algorithms over a map, completing on a thread of its own
// half of the time). After the run, every key's count equals the cost of the groups that
// passed, and never exceeds its limit: a refused group left nothing charged.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "limits/algorithm.h"
#include "service/all_or_nothing.h"

namespace drl::service {
namespace {

class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return 1'700'000'000 * kSecond; }
  Nanos monotonic() const override { return 0; }
};

// Decides every call on one store behind a lock; completes inline, or later on a thread of
// its own (as a forwarded check completes on the cluster thread).
class MapDecider final : public CheckDecider {
 public:
  void decide(std::span<const CheckCall> calls, CheckCompletion done) override {
    std::vector<CheckOutcome> outcomes(calls.size());
    bool inline_completion = false;
    {
      std::lock_guard lock(mu_);
      for (size_t i = 0; i < calls.size(); ++i) {
        outcomes[i].decision = limits::decide(calls[i].limit, states_[std::string(calls[i].key)],
                                              nullptr, calls[i].request, clock_.now());
      }
      inline_completion = ++calls_ % 2 == 0;
    }
    if (inline_completion) {
      done(outcomes);
      return;
    }
    std::thread([outcomes = std::move(outcomes), done = std::move(done)] {
      done(outcomes);
    }).detach();
  }
  uint32_t count(const std::string& key) {
    std::lock_guard lock(mu_);
    return states_[key].a;
  }

 private:
  FakeClock clock_;
  std::mutex mu_;
  std::map<std::string, limits::State> states_;
  uint64_t calls_ = 0;
};

TEST(AllOrNothing, ARefusedGroupLeavesNothingCharged) {
  MapDecider decider;
  FakeClock clock;
  limits::Limit small{limits::Algorithm::kFixedWindow, 1, 365 * kDay, 0, limits::Calendar::kNone};
  limits::Limit big{limits::Algorithm::kFixedWindow, 100, 365 * kDay, 0, limits::Calendar::kNone};
  std::vector<CheckCall> group(2);
  group[0].key = "a";
  group[0].has_inline = true;
  group[0].limit = big;
  group[1].key = "b";
  group[1].has_inline = true;
  group[1].limit = small;
  for (int i = 0; i < 3; ++i) {
    std::promise<bool> passed;
    decide_all_or_nothing(decider, clock, group, [&](std::span<const CheckOutcome> o) {
      passed.set_value(!group_refused(o));
    });
    EXPECT_EQ(passed.get_future().get(), i == 0);
  }
  EXPECT_EQ(decider.count("a"), 1u);  // charged by the first group only
  EXPECT_EQ(decider.count("b"), 1u);
}

// MEMORY_FULL is decided by its policy's degrade mode: allowed (open), it passes the group (the
// others stay charged); denied (closed, local), it refuses the group; an error refuses it.
TEST(AllOrNothing, AMemoryFullCheckRefusesTheGroupOnlyWhenDenied) {
  std::vector<CheckOutcome> outcomes(2);
  outcomes[0].decision.allowed = true;
  outcomes[1].code = CheckCode::kMemoryFull;
  outcomes[1].decision.untracked = true;
  outcomes[1].decision.allowed = true;
  EXPECT_FALSE(group_refused(outcomes));
  outcomes[1].decision.allowed = false;
  EXPECT_TRUE(group_refused(outcomes));
  outcomes[1].code = CheckCode::kUnavailable;
  outcomes[1].decision.allowed = true;
  EXPECT_TRUE(group_refused(outcomes));
}

TEST(AllOrNothing, ConcurrentGroupsChargeExactlyThePassedOnes) {
  MapDecider decider;
  FakeClock clock;
  constexpr int kKeys = 6;
  constexpr int kThreads = 6;
  constexpr int kGroupsPerThread = 300;
  const limits::Limit limit{limits::Algorithm::kFixedWindow, 40, 365 * kDay, 0,
                            limits::Calendar::kNone};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<uint64_t> passed_cost(kKeys, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      for (int g = 0; g < kGroupsPerThread; ++g) {
        std::vector<std::string> keys;
        std::vector<CheckCall> calls;
        const int size = 1 + static_cast<int>(rng() % 3);
        std::vector<int> picked;
        for (int i = 0; i < size; ++i) {
          const int k = static_cast<int>(rng() % kKeys);
          if (std::find(picked.begin(), picked.end(), k) != picked.end()) continue;
          picked.push_back(k);
        }
        keys.reserve(picked.size());
        for (int k : picked) keys.push_back("k" + std::to_string(k));
        std::vector<uint64_t> costs;
        for (size_t i = 0; i < picked.size(); ++i) {
          CheckCall& c = calls.emplace_back();
          c.key = keys[i];
          c.has_inline = true;
          c.limit = limit;
          c.request.cost = 1 + rng() % 3;
          costs.push_back(c.request.cost);
        }
        std::promise<bool> done;
        decide_all_or_nothing(decider, clock, calls, [&](std::span<const CheckOutcome> o) {
          done.set_value(!group_refused(o));
        });
        if (done.get_future().get()) {
          std::lock_guard lock(mu);
          for (size_t i = 0; i < picked.size(); ++i) passed_cost[picked[i]] += costs[i];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < kKeys; ++k) {
    const uint32_t count = decider.count("k" + std::to_string(k));
    EXPECT_EQ(count, passed_cost[k]) << "k" << k;
    EXPECT_LE(count, 40u) << "k" << k;
  }
}

}  // namespace
}  // namespace drl::service
