// `drl bench --protocol rls`: Envoy's rate limit service (gRPC ShouldRateLimit) under a closed
// loop, C channels spread over the nodes' --grpc ports, each keeping P calls in flight. Every
// call carries one descriptor (<descriptor-key>, bench:<i>), i drawn uniformly from the keys,
// in the given domain (the node's --rls-config must limit it). The same run first measures a
// floor on the same server and client: the same call in a domain no configuration declares,
// which the node answers at once without a check (a no-op unary call through the same gRPC
// service), so the RLS figure reads as a fraction of what gRPC itself allows on this machine.
// Blocks for twice the duration.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/latency_histogram.h"
#include "common/host_port.h"

namespace drl::cli {

struct RlsBenchConfig {
  std::vector<HostPort> servers;  // the nodes' --grpc addresses
  size_t connections = 8;         // gRPC channels (one TCP connection each)
  size_t pipeline = 16;           // calls in flight per channel
  size_t keys = 100000;
  std::chrono::milliseconds duration{10000};  // per phase
  std::string domain = "bench";
  std::string descriptor_key = "key";
  uint64_t seed = 1;
  bool floor = true;  // measure the no-op floor first
};

struct RlsBenchPhase {
  uint64_t calls = 0, ok = 0, over_limit = 0, errors = 0;
  double seconds = 0;
  LatencyHistogram latency;
  std::string first_error;
};

struct RlsBenchResult {
  RlsBenchPhase floor;  // empty when !config.floor
  RlsBenchPhase rls;
};

RlsBenchResult run_rls_bench(const RlsBenchConfig& config);

}  // namespace drl::cli
