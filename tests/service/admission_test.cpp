// The admission controller under simulated time: every time is an integer the test picks.
#include "service/admission.h"

#include <gtest/gtest.h>

namespace drl::service {
namespace {

constexpr Nanos kMs = kMillisecond;

AdmissionOptions options() {
  AdmissionOptions o;
  o.target_delay = 5 * kMs;
  o.interval = 100 * kMs;
  o.max_in_flight = 4;
  o.retry_after = 20 * kMs;
  return o;
}

// One request per millisecond from `from` to `until`, each having queued `delay`; the
// admitted ones complete at once. Returns `until`.
Nanos requests_every_ms(AdmissionController& c, Nanos from, Nanos until, Nanos delay) {
  for (Nanos t = from; t < until; t += kMs) {
    if (c.admit(t, t - delay, kNoDeadline).admitted) c.done();
  }
  return until;
}

// From `from` to `until`, one request per millisecond, queued `even` on even milliseconds
// and `odd` on odd ones (two connections, say): the `even` ones must be admitted, the `odd`
// ones shed, and the controller must stay overloaded throughout. Returns `until`.
Nanos alternating_while_overloaded(AdmissionController& c, Nanos from, Nanos until, Nanos even,
                                   Nanos odd) {
  for (Nanos t = from; t < until; t += kMs) {
    const Nanos delay = (t / kMs) % 2 == 0 ? even : odd;
    auto a = c.admit(t, t - delay, kNoDeadline);
    EXPECT_EQ(a.admitted, delay == even) << "at " << t / kMs << " ms";
    if (a.admitted) c.done();
    EXPECT_TRUE(c.overloaded()) << "left the overload at " << t / kMs << " ms";
    if (!c.overloaded()) break;
  }
  return until;
}

TEST(Admission, AdmitsWorkThatDidNotQueue) {
  AdmissionController c(options());
  for (Nanos t = 0; t < 1000 * kMs; t += kMs) {
    auto a = c.admit(t, t, t + 100 * kMs);
    ASSERT_TRUE(a.admitted) << "at " << t;
    c.done();
  }
  EXPECT_FALSE(c.overloaded());
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(Admission, DropsWorkWhoseDeadlinePassed) {
  AdmissionController c(options());
  auto a = c.admit(50 * kMs, 49 * kMs, 40 * kMs);
  EXPECT_FALSE(a.admitted);
  EXPECT_EQ(a.reason, ShedReason::kDeadline);
  EXPECT_EQ(a.retry_after, 20 * kMs);
  // Exactly at the deadline is too late as well: the answer could not arrive in time.
  EXPECT_FALSE(c.admit(60 * kMs, 60 * kMs, 60 * kMs).admitted);
  // No deadline at all.
  EXPECT_TRUE(c.admit(70 * kMs, 70 * kMs, kNoDeadline).admitted);
}

TEST(Admission, ABurstPassesButAStandingQueueIsCutToTheTarget) {
  AdmissionController c(options());
  // A burst: 30 ms of queueing once, then the queue empties. Not shed (below the interval).
  EXPECT_TRUE(c.admit(0, 0, kNoDeadline).admitted);
  c.done();
  EXPECT_TRUE(c.admit(40 * kMs, 10 * kMs, kNoDeadline).admitted);
  c.done();
  EXPECT_TRUE(c.admit(50 * kMs, 50 * kMs, kNoDeadline).admitted);
  c.done();
  EXPECT_FALSE(c.overloaded());
  // A standing queue: every request of a whole interval waited 8 ms or more.
  Nanos t = requests_every_ms(c, 100 * kMs, 300 * kMs, 8 * kMs);
  EXPECT_TRUE(c.overloaded());
  // While overloaded the queue is held to half the target (hysteresis).
  EXPECT_EQ(c.queue_timeout(), 2500 * kMicrosecond);
  auto shed = c.admit(t, t - 8 * kMs, kNoDeadline);
  EXPECT_FALSE(shed.admitted);
  EXPECT_EQ(shed.reason, ShedReason::kQueueDelay);
  // Work that queued less than that still goes through while overloaded.
  EXPECT_TRUE(c.admit(t, t - 2 * kMs, kNoDeadline).admitted);
  c.done();
  // Once the queue drains (quick requests for a whole interval), the target is lifted.
  for (t += kMs; t < 600 * kMs; t += kMs) {
    auto a = c.admit(t, t - kMs, kNoDeadline);
    ASSERT_TRUE(a.admitted);
    c.done();
  }
  EXPECT_FALSE(c.overloaded());
  EXPECT_TRUE(c.admit(t, t - 50 * kMs, kNoDeadline).admitted);
}

// Many connections, each its own queue: while a flood lasts, some requests are fresh (just
// read off a quiet socket) and others queued past the target. The fresh ones must not end
// the overload, or every other interval would let the queues grow back to 100 ms.
TEST(Admission, FreshRequestsOnSomeConnectionsDoNotEndAnOverload) {
  AdmissionController c(options());
  const Nanos t = requests_every_ms(c, 0, 250 * kMs, 8 * kMs);
  ASSERT_TRUE(c.overloaded());
  alternating_while_overloaded(c, t, 800 * kMs, 0, 8 * kMs);
}

// A flood makes the queue grow: at 5x a node's capacity each millisecond adds 4 ms of
// waiting. It is recognised once requests have been late for the target's time (5 ms) and
// later than when that began, so the queue is cut before it is ~30 ms deep, not after a
// quarter interval (25-50 ms: 100-200 ms deep, or the interval's cap).
TEST(Admission, AGrowingQueueIsCutWithinATargetsTime) {
  AdmissionController c(options());
  EXPECT_TRUE(c.admit(0, 0, kNoDeadline).admitted);
  c.done();
  // First in, first out at 5x: the request served at `t` arrived when the work ahead of it
  // was 4x the time since the onset, so a = onset + (t - onset) / 5.
  const Nanos onset = kMs;
  Nanos first_shed_delay = -1;
  for (Nanos t = onset; t < 100 * kMs; t += 100 * kMicrosecond) {
    const Nanos arrived = onset + (t - onset) / 5;
    auto a = c.admit(t, arrived, kNoDeadline);
    if (a.admitted) {
      c.done();
    } else if (first_shed_delay < 0) {
      first_shed_delay = t - arrived;
    }
  }
  ASSERT_GE(first_shed_delay, 0) << "never shed";
  EXPECT_LT(first_shed_delay, 15 * kMs) << "the queue grew to " << first_shed_delay / kMs << " ms";
  EXPECT_TRUE(c.overloaded());
}

// A stall (the thread descheduled for 15 ms at half load) leaves a backlog whose delays fall
// as it drains: late for more than the target's time, but not a growing queue, so it is
// served, not shed.
TEST(Admission, AStallsDrainingBacklogIsNotAnOverload) {
  AdmissionController c(options());
  EXPECT_TRUE(c.admit(0, 0, kNoDeadline).admitted);
  c.done();
  for (Nanos t = 20 * kMs, delay = 15 * kMs; delay >= 0; t += kMs, delay -= kMs) {
    ASSERT_TRUE(c.admit(t, t - delay, kNoDeadline).admitted) << "delay " << delay / kMs << " ms";
    c.done();
  }
  EXPECT_FALSE(c.overloaded());
}

// One client's deep pipeline arrives at once and takes 90 ms to work through: its delays
// grow as fast as a flood's, but nothing new arrives behind it, so it is a burst, not an
// overload, and passes whole (below the interval's cap).
TEST(Admission, ABurstThatArrivedAtOnceIsServedWhole) {
  AdmissionController c(options());
  const Nanos arrived = kMs;
  for (Nanos t = arrived; t < arrived + 90 * kMs; t += 50 * kMicrosecond) {
    ASSERT_TRUE(c.admit(t, arrived, kNoDeadline).admitted) << "at " << (t - arrived) / kMs << " ms";
    c.done();
  }
  EXPECT_FALSE(c.overloaded());
}

// A standing queue that does not grow (its delays even fall slowly) is recognised within a
// quarter interval or two (tumbling 25 ms windows), not at the end of the interval, even
// when a quick request came just before it.
TEST(Admission, AStandingQueueIsCutWithinAQuarterInterval) {
  AdmissionController c(options());
  EXPECT_TRUE(c.admit(0, 0, kNoDeadline).admitted);
  c.done();
  auto delay_at = [](Nanos t) { return 20 * kMs - t / 10; };  // 20 ms, falling slowly
  Nanos t = kMs;
  for (; t < 26 * kMs; t += kMs) {
    ASSERT_TRUE(c.admit(t, t - delay_at(t), kNoDeadline).admitted) << "at " << t / kMs << " ms";
    c.done();
  }
  // The first quarter held the quick request: not a standing queue yet.
  EXPECT_FALSE(c.overloaded());
  // The next quarter (25-50 ms) is all late: overloaded by 51 ms, where the interval alone
  // would have waited until 200 ms (its first interval saw the quick request).
  for (; t < 52 * kMs; t += kMs) {
    auto a = c.admit(t, t - delay_at(t), kNoDeadline);
    if (a.admitted) c.done();
  }
  EXPECT_TRUE(c.overloaded());
  EXPECT_FALSE(c.admit(t, t - delay_at(t), kNoDeadline).admitted);
}

// Hysteresis: while overloaded, requests that queued more than half the target are shed,
// and the overload lasts while any still do. Judged by the full target instead, a flood
// whose survivors queue between the two would leave the overload every interval and let
// the queue grow back.
TEST(Admission, WhileOverloadedTheQueueIsHeldToHalfTheTarget) {
  AdmissionController c(options());
  Nanos t = requests_every_ms(c, 0, 20 * kMs, 8 * kMs);
  ASSERT_TRUE(c.overloaded());
  t = alternating_while_overloaded(c, t, 500 * kMs, kMs, 4 * kMs);
  // Every request under half the target for an interval: the overload ends.
  for (; t < 800 * kMs; t += kMs) {
    ASSERT_TRUE(c.admit(t, t - 2 * kMs, kNoDeadline).admitted);
    c.done();
  }
  EXPECT_FALSE(c.overloaded());
}

// When the flood stops, the overload ends with it: a gauge read while nothing comes says
// so, and a request after a quiet interval is judged afresh.
TEST(Admission, AnOverloadEndsWhenTheRequestsStop) {
  AdmissionController c(options());
  Nanos t = requests_every_ms(c, 0, 150 * kMs, 8 * kMs);
  ASSERT_TRUE(c.overloaded());
  EXPECT_TRUE(c.overloaded(t));
  t += 400 * kMs;
  EXPECT_FALSE(c.overloaded(t));
  // A burst after the quiet time queues 8 ms: let through (below the interval).
  EXPECT_TRUE(c.admit(t, t - 8 * kMs, kNoDeadline).admitted);
  c.done();
  EXPECT_FALSE(c.overloaded());
}

// Rule 3: while overloaded, a request that newer ones of its connection have overtaken is
// shed even though it queued less than the target; outside an overload it is decided. The
// overload lasts while such requests keep coming, though their delays stay low.
TEST(Admission, WhileOverloadedTheNewestRequestsOfAConnectionGoFirst) {
  AdmissionController c(options());
  EXPECT_TRUE(c.admit(0, 0, kNoDeadline, /*superseded=*/true).admitted);
  c.done();
  Nanos t = requests_every_ms(c, kMs, 150 * kMs, 8 * kMs);
  ASSERT_TRUE(c.overloaded());
  for (; t < 600 * kMs; t += kMs) {
    const bool superseded = (t / kMs) % 2 == 1;
    auto a = c.admit(t, t - kMs, kNoDeadline, superseded);
    EXPECT_EQ(a.admitted, !superseded) << "at " << t / kMs << " ms";
    if (superseded) {
      EXPECT_EQ(a.reason, ShedReason::kSuperseded);
    }
    if (a.admitted) c.done();
    ASSERT_TRUE(c.overloaded()) << "left the overload at " << t / kMs << " ms";
  }
  // No more overtaken requests: the overload ends after an interval.
  for (; t < 900 * kMs; t += kMs) {
    ASSERT_TRUE(c.admit(t, t - kMs, kNoDeadline).admitted);
    c.done();
  }
  EXPECT_FALSE(c.overloaded());
  EXPECT_EQ(shed_reason_name(ShedReason::kSuperseded), "superseded");
}

TEST(Admission, QueueingLongerThanTheIntervalIsAlwaysShed) {
  AdmissionController c(options());
  auto a = c.admit(500 * kMs, 300 * kMs, kNoDeadline);
  EXPECT_FALSE(a.admitted);
  EXPECT_EQ(a.reason, ShedReason::kQueueDelay);
}

TEST(Admission, CapsWorkInFlight) {
  AdmissionController c(options());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(c.admit(kMs, kMs, kNoDeadline).admitted);
  auto a = c.admit(kMs, kMs, kNoDeadline);
  EXPECT_FALSE(a.admitted);
  EXPECT_EQ(a.reason, ShedReason::kConcurrency);
  c.done();
  EXPECT_TRUE(c.admit(2 * kMs, 2 * kMs, kNoDeadline).admitted);
  EXPECT_EQ(c.in_flight(), 4u);
}

TEST(Admission, BudgetHelpers) {
  EXPECT_EQ(remaining_budget(10, 25), 15);
  EXPECT_EQ(remaining_budget(30, 25), 0);
  EXPECT_EQ(remaining_budget(30, kNoDeadline), INT64_MAX);
  EXPECT_TRUE(deadline_passed(25, 25));
  EXPECT_FALSE(deadline_passed(24, 25));
  EXPECT_FALSE(deadline_passed(1'000'000, kNoDeadline));
  EXPECT_EQ(shed_reason_name(ShedReason::kQueueDelay), "queue_delay");
}

TEST(Admission, NonsenseOptionsAreClampedNotTrusted) {
  AdmissionOptions o;
  o.target_delay = -5;
  o.interval = 0;
  o.max_in_flight = 0;
  AdmissionController c(o);
  EXPECT_GE(c.options().interval, c.options().target_delay);
  EXPECT_EQ(c.options().max_in_flight, 1u);
  EXPECT_TRUE(c.admit(0, 0, kNoDeadline).admitted);
}

}  // namespace
}  // namespace drl::service
