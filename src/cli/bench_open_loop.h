// The open-loop mode of `drl bench` (--rate R): requests are given intended send times on a
// fixed schedule (evenly spaced, or a seeded Poisson process), whatever the answers do, and
// each request's latency counts from its intended time, so a node (or a generator) that
// stalls is charged for every request it held back (no coordinated omission), until the
// kernel received its answer (the generator's delay in reading it is the receive lag).
//
// Each generator thread owns one timer and a share of the connections and of the rate. When
// the timer fires it takes every request that has come due, spreads them round-robin over
// its connections (or, with --coalesce, puts them all on the next connection) and writes
// each connection's share with one write, so the cost per request is a frame copy, not a
// syscall or a timer. It records how late each request left
// against its intended time; if that lag is large the generator, not the node, was the
// bottleneck and the report says the measurement is invalid.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "cli/latency_histogram.h"

namespace drl::cli {

struct BenchConfig;
struct BenchCounts;
struct BenchResult;

// What the schedule asked for and what the generator managed. Filled by run_open_loop.
struct OpenLoopReport {
  double offered_per_sec = 0;  // requests/s the schedule intended (over the schedule)
  double sent_per_sec = 0;     // requests/s actually written
  uint64_t scheduled = 0;      // requests whose intended time fell inside the run
  uint64_t sent = 0;
  uint64_t unanswered = 0;    // sent, but no answer came before the drain ended
  LatencyHistogram send_lag;  // actual minus intended send time, per request
  // Per read of answers: when it was read minus when the kernel received its newest answer
  // (the generator's own delay, which the latency leaves out).
  LatencyHistogram receive_lag;
  bool behind = false;        // the generator missed its schedule: results invalid
  std::string behind_reason;  // why `behind`, for a human
};

// Longest a request may leave after its intended time, at p99, before the run is declared
// invalid (the generator, not the node, would be setting the latency).
inline constexpr int64_t kMaxSendLagP99Ns = 1'000'000;

// Runs config.rate requests/s for config.duration, then waits (bounded) for the answers
// still outstanding. Blocks; `each_second` is called from the calling thread.
BenchResult run_open_loop(
    const BenchConfig& config,
    const std::function<void(const BenchCounts& so_far, double elapsed)>& each_second);

// Sets report.behind (with its reason) when the p99 send lag is above kMaxSendLagP99Ns or
// fewer than 99% of the `expected` requests were sent.
void judge_open_loop(OpenLoopReport& report, double expected);

// The open-loop lines of the text report, and the extra JSON fields (",\"offered_per_sec\":..."
// with a leading comma), for `drl bench`.
std::string open_loop_text(const OpenLoopReport& report);
std::string open_loop_json_fields(const OpenLoopReport& report);

}  // namespace drl::cli
