// Every algorithm against its reference model (support/reference_models.h): about a
// million random operations each (random costs, peeks, refunds, drains, resets, shadow,
// clock jumps both ways), every Decision field compared. Also checks expires_at: once
// now >= expires_at, a zeroed state must decide exactly as the real one.
// DRL_SEED=<seed> replays a failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <random>
#include <sstream>
#include <string>

#include "common/random.h"
#include "limits/algorithm.h"
#include "limits/support/reference_models.h"
#include "limits/support/test_seed.h"

namespace drl::limits {
namespace {

std::string show(const Decision& d) {
  std::ostringstream out;
  out << "{allowed=" << d.allowed << " shadow_denied=" << d.shadow_denied << " limit=" << d.limit
      << " remaining=" << d.remaining << " reset_at=" << d.reset_at
      << " retry_after=" << d.retry_after << " delay=" << d.delay << "}";
  return out.str();
}

bool same(const Decision& a, const Decision& b) {
  return a.allowed == b.allowed && a.shadow_denied == b.shadow_denied && a.limit == b.limit &&
         a.remaining == b.remaining && a.reset_at == b.reset_at && a.retry_after == b.retry_after &&
         a.delay == b.delay;
}

std::string show(const Request& r) {
  std::ostringstream out;
  out << "{cost=" << r.cost << " refund=" << r.refund << " reset=" << r.reset
      << " drain=" << r.drain_on_deny << " shadow=" << r.shadow << "}";
  return out.str();
}

// The engine's times must stay well inside int64 (windows end after them); the test keeps
// to dates before 2100.
constexpr TimePoint kLatest = 4'100'000'000 * kSecond;

struct Step {
  TimePoint now;
  Request request;
  Decision decision;
};

std::string join(const std::deque<Step>& steps) {
  std::string out;
  for (const auto& s : steps) {
    out += "\n    now=" + std::to_string(s.now) + " " + show(s.request) + " -> " + show(s.decision);
  }
  return out;
}

Nanos random_window(Random& rng) {
  static constexpr Nanos kWindows[] = {7,     kMillisecond, 250 * kMillisecond, kSecond, kMinute,
                                       kHour, kDay};
  return kWindows[rng.below(std::size(kWindows))] + static_cast<Nanos>(rng.below(3));
}

Limit random_limit(Algorithm algorithm, Random& rng) {
  Limit l;
  l.algorithm = algorithm;
  l.limit = 1 + rng.below(rng.below(4) == 0 ? 1000 : 12);
  l.window = random_window(rng);
  if (algorithm == Algorithm::kTokenBucket || algorithm == Algorithm::kLeakyBucket) {
    l.burst = rng.below(3) == 0 ? 0 : rng.below(3 * l.limit);
  }
  if (algorithm == Algorithm::kFixedWindow && rng.below(3) == 0) {
    l.calendar = static_cast<Calendar>(1 + rng.below(4));
  }
  return l;
}

// The typical span between events: a fraction of the window (or of the calendar period).
Nanos time_scale(const Limit& l) {
  switch (l.calendar) {
    case Calendar::kHour:
      return kHour;
    case Calendar::kDay:
      return kDay;
    case Calendar::kWeek:
      return 7 * kDay;
    case Calendar::kMonth:
      return 31 * kDay;
    default:
      return l.window;
  }
}

Request random_request(const Limit& l, Random& rng) {
  Request r;
  const uint64_t roll = rng.below(100);
  if (roll < 10) {
    r.cost = 0;
  } else if (roll < 65) {
    r.cost = 1;
  } else {
    r.cost = 1 + rng.below(l.limit + l.burst + 3);
  }
  r.refund = rng.below(100) < 6;
  r.drain_on_deny = rng.below(100) < 10;
  r.shadow = rng.below(100) < 6;
  r.reset = rng.below(1000) < 3;
  return r;
}

Nanos random_step(const Limit& l, Random& rng) {
  const Nanos scale = time_scale(l);
  const Nanos per_unit = std::max<Nanos>(1, scale / static_cast<Nanos>(l.limit));
  const uint64_t roll = rng.below(100);
  if (roll < 20) return 0;
  if (roll < 75) return static_cast<Nanos>(rng.below(2 * per_unit + 1));
  if (roll < 90) return static_cast<Nanos>(rng.below(3 * scale + 1));
  if (roll < 97) return -static_cast<Nanos>(rng.below(scale + 1));  // clock steps back
  return static_cast<Nanos>(rng.below(40 * scale + 1));
}

void run_against_model(Algorithm algorithm, int configs, int ops_per_config) {
  const uint64_t seed = testing::test_seed();
  Random rng(seed);
  const RateAlgorithm& engine = algorithm_for(algorithm);
  for (int c = 0; c < configs; ++c) {
    const Limit l = random_limit(algorithm, rng);
    ASSERT_EQ(validate(l), "");
    auto model = testing::make_reference_model(l);
    State state;
    SlidingLog log;
    SlidingLog* log_ptr = algorithm == Algorithm::kSlidingLog ? &log : nullptr;
    // A recent date, randomised so calendar boundaries fall anywhere.
    TimePoint now = 1'600'000'000 * kSecond + static_cast<TimePoint>(rng.below(400 * kDay));
    std::deque<Step> history;  // the last operations, printed on failure
    for (int i = 0; i < ops_per_config; ++i) {
      now = std::max<TimePoint>(now + random_step(l, rng), 0);
      if (now > kLatest) now -= 30 * 365 * kDay;  // stay in the supported range; a step back
      const Request req = random_request(l, rng);
      if (history.size() == 8) history.pop_front();

      // expires_at: past it, a zeroed state must decide identically.
      const bool expired = now >= engine.expires_at(l, state, log_ptr);
      State zero_state;
      SlidingLog zero_log;
      Decision zero_decision;
      if (expired) {
        zero_decision = decide(l, zero_state, log_ptr != nullptr ? &zero_log : nullptr, req, now);
      }

      const Decision got = decide(l, state, log_ptr, req, now);
      if (req.reset) model->reset();
      Request model_req = req;
      if (req.shadow) model_req.drain_on_deny = false;
      Decision want = model->decide(model_req, now);
      if (req.shadow && !want.allowed) {
        want.allowed = true;
        want.shadow_denied = true;
      }
      if (!same(got, want)) {
        ADD_FAILURE() << algorithm_name(algorithm)
                      << " differs from its model; replay with DRL_SEED=" << seed << "\n  config "
                      << c << " op " << i << " limit=" << l.limit << " window=" << l.window
                      << " burst=" << l.burst << " calendar=" << calendar_name(l.calendar)
                      << " now=" << now << "\n  request " << show(req) << "\n  engine " << show(got)
                      << "\n  model  " << show(want) << "\n  before:" << join(history);
        return;
      }
      history.push_back({now, req, got});
      if (expired && !same(zero_decision, got)) {
        ADD_FAILURE() << algorithm_name(algorithm)
                      << ": a zeroed state decides differently after expires_at; replay with "
                         "DRL_SEED="
                      << seed << "\n  config " << c << " op " << i << " now=" << now
                      << "\n  request " << show(req) << "\n  real   " << show(got) << "\n  zeroed "
                      << show(zero_decision);
        return;
      }
    }
  }
}

TEST(Property, TokenBucketMatchesTokenCountModel) {
  run_against_model(Algorithm::kTokenBucket, 200, 5000);
}
TEST(Property, LeakyBucketMatchesQueueModel) {
  run_against_model(Algorithm::kLeakyBucket, 200, 5000);
}
TEST(Property, FixedWindowMatchesWindowMapModel) {
  run_against_model(Algorithm::kFixedWindow, 200, 5000);
}
TEST(Property, SlidingLogMatchesDequeModel) {
  run_against_model(Algorithm::kSlidingLog, 200, 5000);
}
TEST(Property, SlidingWindowMatchesWeightedMapModel) {
  run_against_model(Algorithm::kSlidingWindow, 200, 5000);
}

}  // namespace
}  // namespace drl::limits
