// `drl bench --protocol http`: the HTTP door's POST /v1/check under a closed loop, C keep-alive
// connections spread over the nodes' --http addresses, each with one request in flight (HTTP/1.1
// does not pipeline), each request carrying `batch` checks whose keys are drawn as the native
// bench draws them (bench_keys.h) and counted distinct. The same run first measures a floor on
// the same server and client: GET /healthz, which the node answers without a check (a no-op HTTP
// round trip), so the check figure reads as a fraction of what HTTP itself allows here. Blocks
// for twice the duration.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/bench_keys.h"
#include "cli/latency_histogram.h"
#include "common/host_port.h"

namespace drl::cli {

struct HttpBenchConfig {
  std::vector<HostPort> servers;  // the nodes' --http addresses
  size_t connections = 8;         // one thread and one keep-alive connection each
  size_t batch = 1;               // checks per request
  uint64_t keys = 100000;
  KeyDistribution key_dist;
  std::chrono::milliseconds duration{10000};  // per phase
  // One check's limit as JSON: {"limit":{...}} or {"policy":"name"} members (without braces).
  std::string spec_json;
  uint32_t timeout_ms = 0;
  std::string auth_token;  // sent as Authorization: Bearer
  uint64_t seed = 1;
  bool floor = true;  // measure the GET /healthz floor first
};

struct HttpBenchPhase {
  uint64_t requests = 0, checks = 0, allowed = 0, denied = 0, errors = 0;
  uint64_t distinct_keys = 0;
  double seconds = 0;
  LatencyHistogram latency;  // per request
  std::string first_error;
};

struct HttpBenchResult {
  HttpBenchPhase floor;  // empty when !config.floor
  HttpBenchPhase check;
};

HttpBenchResult run_http_bench(const HttpBenchConfig& config);

}  // namespace drl::cli
