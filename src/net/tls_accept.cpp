#include "net/tls_accept.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <asio/steady_timer.hpp>
#include <chrono>

namespace drl::net {

void TlsRefusalLog::refused(const asio::ip::tcp::socket& socket, std::string_view reason) {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_logged_ns_.load(std::memory_order_relaxed);
  if (now - last < 1'000'000'000 ||
      !last_logged_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    unlogged_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string from =
      ec ? std::string("?") : remote.address().to_string() + ":" + std::to_string(remote.port());
  const uint64_t more = unlogged_.exchange(0, std::memory_order_relaxed);
  spdlog::warn("tls_refused {}: connection from {} refused: {}{}", door_, from, reason,
               more > 0 ? " (and " + std::to_string(more) + " more since the last warning)" : "");
}

void accept_tls(asio::ip::tcp::socket socket, std::shared_ptr<tls::Context> context,
                std::span<const uint8_t> first_bytes, std::chrono::milliseconds timeout,
                service::ServerStatsShard& stats, TlsRefusalLog& refusals,
                std::function<void(tls::Stream)> ready) {
  struct Handshake {
    Handshake(tls::Stream s, service::ServerStatsShard& st)
        : stream(std::move(s)), timer(stream.get_executor()), stats(st) {
      stats.add(stats.unidentified_opened);
    }
    ~Handshake() { stats.add(stats.unidentified_closed); }
    tls::Stream stream;
    asio::steady_timer timer;
    service::ServerStatsShard& stats;
    std::array<uint8_t, 4> first{};
    size_t first_len = 0;
  };
  auto h = std::make_shared<Handshake>(tls::Stream(std::move(socket), std::move(context)), stats);
  h->first_len = std::min(first_bytes.size(), h->first.size());
  std::copy_n(first_bytes.begin(), h->first_len, h->first.begin());
  if (timeout.count() > 0) {
    h->timer.expires_after(timeout);
    h->timer.async_wait([h](std::error_code ec) {
      if (!ec) h->stream.close();  // the handshake then fails
    });
  }
  h->stream.async_handshake(
      asio::ssl::stream_base::server, asio::buffer(h->first.data(), h->first_len),
      [h, &refusals, ready = std::move(ready)](std::error_code ec) {
        h->timer.cancel();
        if (ec) {
          h->stats.error(service::ServerError::kTlsRefused);
          refusals.refused(h->stream.socket(), tls::describe_handshake_error(ec));
          h->stream.close();
          return;
        }
        ready(std::move(h->stream));
      });
}

}  // namespace drl::net
