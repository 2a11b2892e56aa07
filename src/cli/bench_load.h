// The load generator behind `drl bench`: C connections spread over the given nodes, over a
// few I/O threads of its own. Closed loop (rate 0): each connection keeps P requests of B
// checks in flight. Open loop (rate R): bench_open_loop.h. Every check draws its key from the
// whole --keys space (bench_keys.h) and is patched into a pre-encoded request, so the
// generator spends its CPU on the socket, not on building messages. run_bench() blocks for
// the duration.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli/bench_keys.h"
#include "cli/bench_open_loop.h"
#include "cli/latency_histogram.h"
#include "common/host_port.h"
#include "drl/client.h"
#include "drl/client.pb.h"

namespace drl::cli {

struct BenchConfig {
  std::vector<HostPort> servers;
  size_t connections = 50;
  size_t pipeline = 16;
  size_t batch = 1;
  size_t keys = 100000;
  KeyDistribution key_distribution;  // --key-dist
  size_t threads = 1;
  std::chrono::milliseconds duration{10000};
  wire::Check check_template;  // key is replaced per check
  uint64_t seed = 1;
  double rate = 0;          // requests per second over all connections; 0 = closed loop
  uint32_t timeout_ms = 0;  // Request.timeout_ms; 0 = the node's default
  std::string auth_token;   // Request.auth_token (--token-file); empty = none
  ClientTls tls;            // --tls-ca/--tls-cert/--tls-key: closed loop, --smart and --ledger
  bool poisson = false;     // open loop: Poisson arrivals (seeded) instead of evenly spaced
  // Open loop: the requests due at one timer tick leave together on one connection (the
  // next one each tick), as a pipelining client library sends what is queued; otherwise
  // each request goes to the next connection.
  bool coalesce = false;
  std::string ledger_path;  // --ledger: run_ledger_bench (bench_ledger.h) writes its ledger here
  // --floor: every request is an empty CheckRequest, which the node answers EMPTY_REQUEST
  // without deciding anything: the same frames, parse, answer and sockets as a check, less
  // the deciding. Those answers count as errors and their latency as the floor's.
  bool floor = false;
};

struct BenchCounts {
  uint64_t requests = 0, allowed = 0, denied = 0, errors = 0;
  uint64_t overloaded = 0;  // checks answered OVERLOADED (also counted in errors)
  uint64_t unsent = 0;      // open loop: scheduled requests dropped, too many outstanding
};

struct BenchResult {
  BenchCounts counts;
  LatencyHistogram latency;       // per request with no OVERLOADED result
  LatencyHistogram shed_latency;  // per request answered OVERLOADED
  double seconds = 0;
  std::string failure;         // non-empty when connections could not be made
  std::string first_error;     // the first request-level error a node answered ("" = none)
  OpenLoopReport open_loop;    // open loop only (config.rate > 0)
  uint64_t distinct_keys = 0;  // keys asked for at least once (DistinctKeys: exact or estimated)
  bool distinct_keys_exact = true;
};

// The CheckRequest bodies one connection sends: config.batch checks of config.check_template,
// each with a key drawn afresh from config.keys by config.key_distribution and marked in
// `distinct` (which must outlive this); with config.floor, always the empty CheckRequest.
// Not thread-safe: one per connection.
class RequestBodies {
 public:
  RequestBodies(const BenchConfig& config, uint64_t connection, DistinctKeys& distinct);
  const std::string& next();  // valid until the next call

 private:
  std::unique_ptr<CheckBodyTemplate> template_;  // null with config.floor
  KeyPicker picker_;
  DistinctKeys& distinct_;
  std::string empty_;
};
// Appends one framed Request{id, timeout_ms, check = body} to `out`.
void append_request_frame(std::string& out, uint64_t id, const BenchConfig& config,
                          const std::string& body);

// Runs the load (open loop when config.rate > 0, see bench_open_loop.h); `each_second` is
// called from the calling thread with the totals so far.
BenchResult run_bench(
    const BenchConfig& config,
    const std::function<void(const BenchCounts& so_far, double elapsed)>& each_second);

}  // namespace drl::cli
