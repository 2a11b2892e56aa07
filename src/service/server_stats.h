// Counters of the client-facing server, for the metrics page and `drl status`. One shard
// per I/O thread, each written only by its thread (relaxed atomics so a scrape may read
// them from elsewhere); readers sum the shards. Thread-safe.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace drl::service {

enum class ServerError : uint8_t {
  kMalformedFrame = 0,  // bytes that are not a Request
  kFrameTooLarge,       // length word above the limit
  kEmptyRequest,        // no body or no checks
  kTooManyChecks,
  kIdleTimeout,      // connection closed for silence
  kIo,               // reset by peer, broken pipe, ...
  kConnectionLimit,  // refused at accept: too many connections
  kFrameTimeout,     // a frame (or RESP command) begun but not completed in time (slowloris)
  kUnauthenticated,  // missing or unknown client token (--client-tokens-file)
  kTlsRefused,       // a TLS port: plaintext, or a handshake that failed (certificate, protocol)
  kCount,
};
std::string_view server_error_name(ServerError e);

// Latency buckets (upper bounds, microseconds) of the request histogram; +Inf is implicit.
inline constexpr std::array<uint32_t, 14> kLatencyBucketsUs = {
    10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 250000, 1000000};

struct alignas(64) ServerStatsShard {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> checks{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_closed{0};
  // Connections accepted on the native port whose first word has not arrived yet: they are
  // client connections as far as --max-connections is concerned.
  std::atomic<uint64_t> unidentified_opened{0};
  std::atomic<uint64_t> unidentified_closed{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(ServerError::kCount)> errors{};
  std::array<std::atomic<uint64_t>, kLatencyBucketsUs.size() + 1> latency{};
  std::atomic<uint64_t> latency_sum_ns{0};

  void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void error(ServerError e) { add(errors[static_cast<size_t>(e)]); }
  void observe_latency(int64_t ns);
};

struct ServerStatsSnapshot {
  uint64_t requests = 0, checks = 0, connections_accepted = 0, connections_closed = 0;
  uint64_t unidentified_opened = 0, unidentified_closed = 0;
  std::array<uint64_t, static_cast<size_t>(ServerError::kCount)> errors{};
  std::array<uint64_t, kLatencyBucketsUs.size() + 1> latency{};  // not cumulative
  uint64_t latency_sum_ns = 0;
  // Client connections open, those still unidentified included.
  uint64_t connections_open() const {
    // Shards are read one after another, so closes may outnumber the opens seen: clamp.
    const uint64_t opened = connections_accepted + unidentified_opened;
    const uint64_t closed = connections_closed + unidentified_closed;
    return opened > closed ? opened - closed : 0;
  }
};

class ServerStats {
 public:
  explicit ServerStats(size_t shards);
  // Shard `i` must be written by one thread only (the I/O thread of index i).
  ServerStatsShard& shard(size_t i) { return shards_[i]; }
  size_t shard_count() const { return count_; }
  ServerStatsSnapshot snapshot() const;
  // Client connections open (unidentified ones included); cheaper than snapshot().
  uint64_t connections_open() const;

 private:
  size_t count_;
  std::unique_ptr<ServerStatsShard[]> shards_;
};

}  // namespace drl::service
