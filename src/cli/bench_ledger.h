// `drl bench --ledger FILE`: load for chaos runs, with an account of every admission. Each of
// config.connections workers owns a drl::Client given every server (starting at a different
// one), so its load moves to the next node when its node dies, and sends one batch of
// config.batch checks at a time on keys "ledger:<0..keys-1>" (seeded). With config.rate > 0
// the workers are paced to that many requests per second in total (a worker that waits on a
// slow answer skips the slots it missed); else they send back to back.
//
// The ledger (tab-separated text, written at the end) counts every check by key and window:
//   A <key> <window_end_ms> <allowed> <decided>
// where window_end_ms is the deciding node's reset_at of the result (for a fixed window: the
// end of the window the check was decided in, by the node's clock, so no client-side guess
// about window edges); and counts client-visible errors by wall-clock second and code:
//   E <unix_second> <code name> <count>
// scripts/chaos/analyze.py reads it. Threads: run_ledger_bench blocks; it starts and joins
// its workers.
#pragma once
#include <string>

#include "cli/bench_load.h"

namespace drl::cli {

// Writes the ledger to config.ledger_path.
BenchResult run_ledger_bench(
    const BenchConfig& config,
    const std::function<void(const BenchCounts& so_far, double elapsed)>& each_second);

// `drl bench --ledger`: runs run_ledger_bench with progress on stderr each second, prints the
// totals (one JSON line with --json), and returns the exit code (2 when the load failed).
int run_ledger_command(const BenchConfig& config, bool json);

}  // namespace drl::cli
