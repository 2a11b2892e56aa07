#include "service/server_stats.h"

namespace drl::service {

std::string_view server_error_name(ServerError e) {
  switch (e) {
    case ServerError::kMalformedFrame:
      return "malformed_frame";
    case ServerError::kFrameTooLarge:
      return "frame_too_large";
    case ServerError::kEmptyRequest:
      return "empty_request";
    case ServerError::kTooManyChecks:
      return "too_many_checks";
    case ServerError::kIdleTimeout:
      return "idle_timeout";
    case ServerError::kIo:
      return "io";
    case ServerError::kConnectionLimit:
      return "connection_limit";
    case ServerError::kFrameTimeout:
      return "frame_timeout";
    case ServerError::kUnauthenticated:
      return "unauthenticated";
    case ServerError::kTlsRefused:
      return "tls_refused";
    case ServerError::kCount:
      break;
  }
  return "unknown";
}

void ServerStatsShard::observe_latency(int64_t ns) {
  const uint64_t us = ns <= 0 ? 0 : static_cast<uint64_t>(ns) / 1000;
  size_t i = 0;
  while (i < kLatencyBucketsUs.size() && us > kLatencyBucketsUs[i]) ++i;
  add(latency[i]);
  add(latency_sum_ns, ns <= 0 ? 0 : static_cast<uint64_t>(ns));
}

ServerStats::ServerStats(size_t shards)
    : count_(shards == 0 ? 1 : shards), shards_(new ServerStatsShard[count_]) {}

ServerStatsSnapshot ServerStats::snapshot() const {
  ServerStatsSnapshot s;
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  for (size_t i = 0; i < count_; ++i) {
    const auto& sh = shards_[i];
    s.requests += get(sh.requests);
    s.checks += get(sh.checks);
    s.connections_accepted += get(sh.connections_accepted);
    s.connections_closed += get(sh.connections_closed);
    s.unidentified_opened += get(sh.unidentified_opened);
    s.unidentified_closed += get(sh.unidentified_closed);
    for (size_t e = 0; e < s.errors.size(); ++e) s.errors[e] += get(sh.errors[e]);
    for (size_t b = 0; b < s.latency.size(); ++b) s.latency[b] += get(sh.latency[b]);
    s.latency_sum_ns += get(sh.latency_sum_ns);
  }
  return s;
}

uint64_t ServerStats::connections_open() const {
  ServerStatsSnapshot s;
  for (size_t i = 0; i < count_; ++i) {
    const auto& sh = shards_[i];
    // Closes first: a connection closed after being counted open would otherwise be missed.
    s.connections_closed += sh.connections_closed.load(std::memory_order_relaxed);
    s.unidentified_closed += sh.unidentified_closed.load(std::memory_order_relaxed);
    s.connections_accepted += sh.connections_accepted.load(std::memory_order_relaxed);
    s.unidentified_opened += sh.unidentified_opened.load(std::memory_order_relaxed);
  }
  return s.connections_open();
}

}  // namespace drl::service
