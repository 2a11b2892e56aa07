// `drl bench --smart`: the load of run_bench sent through the client library with
// ClientOptions::route_to_owner, so each check goes straight to its key's owner. One Client
// per connection (its fallback node taken round-robin from the servers). Closed loop:
// `pipeline` batches in flight on each. Open loop (config.rate > 0): config.rate batches/s
// in total, each given to the next client in turn whatever the answers do (the pipeline
// does not apply), latency counted from each batch's intended send time. Slower per check than
// run_bench's pre-encoded frames (the library builds and routes every request), so compare both
// modes at the same shape, not against raw runs.
#pragma once
#include "cli/bench_load.h"

namespace drl::cli {

// Blocks for config.duration, then (bounded) for the batches still in flight.
BenchResult run_smart_bench(
    const BenchConfig& config,
    const std::function<void(const BenchCounts& so_far, double elapsed)>& each_second);

}  // namespace drl::cli
