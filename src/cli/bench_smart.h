// `drl bench --smart`: the closed-loop load of run_bench sent through the client library with
// ClientOptions::route_to_owner, so each check goes straight to its key's owner. One Client
// per connection (its fallback node taken round-robin from the servers), `pipeline` batches
// in flight on each. Slower per check than run_bench's pre-encoded frames (the library builds
// and routes every request), so compare both modes at the same shape, not against raw runs.
#pragma once
#include "cli/bench_load.h"

namespace drl::cli {

// Closed loop only (config.rate is ignored). Blocks for config.duration.
BenchResult run_smart_bench(
    const BenchConfig& config,
    const std::function<void(const BenchCounts& so_far, double elapsed)>& each_second);

}  // namespace drl::cli
