// Admission control: decides, for each request about to be worked on, whether to do the
// work or shed it with a fast OVERLOADED answer. Pure logic (no clock, no threads): the
// caller passes every time in, as monotonic nanoseconds.
//
// Four rules, checked in order:
//  1. Deadline: a request whose deadline has passed is dropped before it is decided; the
//     client has given up on it, so deciding it would only spend budget and CPU.
//  2. Queueing delay (CoDel as used for server queues): a request that queued longer than
//     the interval (100 ms) is always shed; while overloaded, one that queued longer than
//     half the target (5 ms / 2) is. The overload begins when
//       - requests have queued past the target for the target's time (5 ms), the latest
//         queued longer than the first of that run, and arrived at least a fifth of the
//         target after it: the queue grows and keeps being refilled (a flood; at 5x a node's
//         capacity each millisecond adds 4 ms, so waiting longer lets it grow deep), while a
//         backlog left by a stall drains (its delays fall) and a burst that came at once (one
//         client's deep pipeline) brings nothing new, so both pass; or
//       - every request of a quarter interval (tumbling 25 ms windows) queued past the
//         target, and some arrived within it: a queue that stands without growing.
//     It ends only after a whole interval in which no request queued past half the target
//     (the hysteresis keeps the survivors of a flood under the target without the state
//     flapping). A node serves many connections, each its own queue, so a fresh request on
//     one of them says nothing about the others, and leaving on CoDel's minimum alone let a
//     flood grow back to the interval's depth every other interval.
//  3. Newest first while overloaded: a request that newer requests of its own connection
//     have overtaken (read after it, while it waited for its turn) is shed, so the node
//     spends its capacity on requests that have barely waited. Under FIFO with a timeout,
//     every request decided during a flood would have waited almost the full target.
//  4. Concurrency: at most `max_in_flight` admitted requests not yet done (matters for a
//     decider that completes later, such as a forward to the key's owner).
// Not thread-safe: the owner serialises calls (the node's OverloadGate holds a lock).
#pragma once
#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/time.h"

namespace drl::service {

enum class ShedReason : uint8_t {
  kDeadline = 0,     // the request's deadline passed before it was decided
  kQueueDelay = 1,   // it queued longer than the controller allows now
  kConcurrency = 2,  // too many admitted requests still in flight
  kSuperseded = 3,   // overloaded, and newer requests of its connection were read since
};
inline constexpr size_t kShedReasons = 4;
std::string_view shed_reason_name(ShedReason reason);

struct AdmissionOptions {
  Nanos target_delay = 5 * kMillisecond;  // acceptable standing queueing delay
  Nanos interval = 100 * kMillisecond;    // window of the minimum; also the burst allowance
  uint32_t max_in_flight = 4096;          // admitted, not yet done
  Nanos retry_after = 20 * kMillisecond;  // told to shed clients (they add jitter)
};

struct OverloadOptions {
  AdmissionOptions admission;
  std::chrono::milliseconds default_timeout{1000};  // for requests without timeout_ms
  // Test hook: busy-wait this long per admitted request, so a test can make deciding
  // slow. The CLI refuses it without --enable-test-hooks.
  std::chrono::microseconds test_decide_delay{0};
};

struct Admission {
  bool admitted = true;
  ShedReason reason = ShedReason::kDeadline;  // meaningful when !admitted
  Nanos retry_after = 0;                      // when !admitted: wait at least this long
};

class AdmissionController {
 public:
  explicit AdmissionController(AdmissionOptions options = {});

  // A request that arrived (was read off the socket) at `arrived` is about to be worked on at
  // `now`; `deadline` is when its answer stops being useful (0 = none). On admission the
  // caller must call done() once the work completes. `superseded`: newer requests of the
  // same connection were read while this one waited (rule 3).
  Admission admit(Nanos now, Nanos arrived, Nanos deadline, bool superseded = false);
  void done();

  // True while a standing queue is detected (shedding at the target delay), as of the last
  // admit(); overloaded(now) also settles an interval that ended since (for a gauge read
  // while no request comes).
  bool overloaded() const { return overloaded_; }
  bool overloaded(Nanos now) const;
  // Requests that queued longer than this are shed now.
  Nanos queue_timeout() const { return overloaded_ ? overloaded_delay() : options_.interval; }
  // While overloaded, requests that queued longer than this are shed, and the overload ends
  // only after an interval in which none did (half the target: hysteresis).
  Nanos overloaded_delay() const { return options_.target_delay / 2; }
  uint32_t in_flight() const { return in_flight_; }
  const AdmissionOptions& options() const { return options_; }

 private:
  void observe(Nanos now, Nanos arrived, Nanos delay);
  void track_growth(Nanos now, Nanos arrived, Nanos delay);  // the fast entry test (rule 2)
  void enter(Nanos now, Nanos delay);                        // starts an overload at `now`
  bool verdict(Nanos now) const;  // the state once the current interval has ended at `now`

  AdmissionOptions options_;
  bool overloaded_ = false;
  bool started_ = false;
  Nanos interval_end_ = 0;
  Nanos min_delay_ = 0;            // smallest delay seen in the current interval
  Nanos max_delay_ = 0;            // largest delay seen in the current interval
  bool superseded_seen_ = false;   // a request was shed by rule 3 in the current interval
  Nanos quarter_start_ = 0;        // the current quarter-interval window (entry test)
  Nanos quarter_min_ = 0;          // smallest delay seen in it
  bool quarter_refilled_ = false;  // a request in it arrived after the window began
  bool in_late_run_ = false;       // every request since late_run_start_ queued past the target
  Nanos late_run_start_ = 0;
  Nanos late_run_first_delay_ = 0;    // the delay of the run's first request
  Nanos late_run_first_arrival_ = 0;  // and when it arrived
  uint32_t in_flight_ = 0;
};

// Helpers for code that carries a deadline further (a forwarded check): how much of the
// budget is left at `now` (0 when spent; a large value when there is no deadline), and
// whether it is spent.
inline constexpr Nanos kNoDeadline = 0;
inline Nanos remaining_budget(Nanos now, Nanos deadline) {
  if (deadline == kNoDeadline) return INT64_MAX;
  return deadline > now ? deadline - now : 0;
}
inline bool deadline_passed(Nanos now, Nanos deadline) {
  return deadline != kNoDeadline && now >= deadline;
}

}  // namespace drl::service
