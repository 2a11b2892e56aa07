// The server side of TLS for the node's client doors (native and RESP): the handshake of an
// accepted connection, bounded by a timeout and counted as an unidentified connection until
// it completes, and what a node says when it refuses one (a failed handshake, a certificate
// from another CA, plaintext on a TLS port): a warning naming the door, the remote address
// and OpenSSL's reason, at most one a second per door (the rest are counted in the next one),
// so a scanner cannot flood the log. Every refusal is also counted
// (drl_errors_total{kind="tls_refused"}). Thread-safe.
#pragma once
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "service/server_stats.h"
#include "tls/stream.h"

namespace drl::net {

class TlsRefusalLog {
 public:
  explicit TlsRefusalLog(std::string door) : door_(std::move(door)) {}
  void refused(const asio::ip::tcp::socket& socket, std::string_view reason);

 private:
  std::string door_;
  std::atomic<int64_t> last_logged_ns_{0};
  std::atomic<uint64_t> unlogged_{0};
};

// Runs the server handshake on `socket` with `context`; `first_bytes` were already read from
// it (at most 4). On success calls ready(stream) on the socket's thread; on failure or after
// `timeout` (0: none) closes the connection, counts and logs it. `stats` and `refusals`
// outlive the handshake.
void accept_tls(asio::ip::tcp::socket socket, std::shared_ptr<tls::Context> context,
                std::span<const uint8_t> first_bytes, std::chrono::milliseconds timeout,
                service::ServerStatsShard& stats, TlsRefusalLog& refusals,
                std::function<void(tls::Stream)> ready);

}  // namespace drl::net
