#include "net/listener.h"

#include <array>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "service/frame.h"

namespace drl::net {
namespace {

// The first byte of a TLS handshake record (a ClientHello). As a frame length's first byte it
// would announce over 350 MiB, far above any frame limit.
constexpr uint8_t kTlsHandshakeRecord = 0x16;

// A connection whose first word (a frame length or a magic) has not fully arrived. It counts
// as a client connection for --max-connections until then.
struct PendingConnection : std::enable_shared_from_this<PendingConnection> {
  PendingConnection(asio::ip::tcp::socket s, asio::io_context& io, service::ServerStatsShard& st,
                    const SessionLimits& l)
      : socket(std::move(s)), timer(io), stats(st), limits(l) {
    stats.add(stats.unidentified_opened);
  }
  ~PendingConnection() { uncount(); }
  // Stops counting this connection as unidentified: at once when it is handed on, so that it
  // is never counted twice (a session counts itself) while the timer's cancellation is queued.
  void uncount() {
    if (counted) stats.add(stats.unidentified_closed);
    counted = false;
  }

  // Closes the connection `after` from now (counted as `why`) unless re-armed or cancelled.
  void arm(std::chrono::milliseconds after, service::ServerError why) {
    if (after.count() <= 0) return;
    timer.expires_after(after);
    timer.async_wait([self = shared_from_this(), why](std::error_code ec) {
      if (ec || self->done) return;
      self->stats.error(why);
      std::error_code ignore;
      self->socket.close(ignore);
    });
  }

  asio::ip::tcp::socket socket;
  std::array<uint8_t, service::kFrameHeaderBytes> word{};
  size_t got = 0;
  bool done = false;
  bool counted = true;
  asio::steady_timer timer;
  service::ServerStatsShard& stats;
  const SessionLimits& limits;
};

// Reads the first word a piece at a time: silence is allowed for the idle timeout, but a word
// once begun must be complete within the frame timeout (a byte-at-a-time sender cannot hold
// the connection). Calls `identified` with the whole word in `p.word`.
template <typename F>
void read_first_word(std::shared_ptr<PendingConnection> p, F identified) {
  auto* raw = p.get();
  raw->socket.async_read_some(
      asio::buffer(raw->word.data() + raw->got, raw->word.size() - raw->got),
      [p = std::move(p), identified = std::move(identified)](std::error_code ec, size_t n) mutable {
        if (ec) {
          p->done = true;
          p->timer.cancel();
          return;
        }
        const bool first_bytes = p->got == 0;
        p->got += n;
        if (p->got == p->word.size()) {
          p->done = true;
          p->timer.cancel();
          p->uncount();
          identified(*p);
          return;
        }
        if (first_bytes) p->arm(p->limits.frame_timeout, service::ServerError::kFrameTimeout);
        read_first_word(std::move(p), std::move(identified));
      });
}

}  // namespace

Listener::Listener(IoPool& pool, ListenerOptions options, SessionServices services,
                   service::ServerStats& stats)
    : pool_(pool),
      options_(options),
      services_(std::move(services)),
      stats_(stats),
      acceptor_(pool, options.max_connections, stats,
                [this](asio::ip::tcp::socket socket, size_t worker) {
                  classify(std::move(socket), worker);
                }) {}

Listener::~Listener() { stop(); }

std::error_code Listener::listen(const std::string& host, uint16_t port) {
  return acceptor_.listen(host, port);
}

asio::ip::tcp::endpoint Listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void Listener::register_magic(uint32_t magic, MagicHandler handler) {
  magics_[magic] = std::move(handler);
}

void Listener::start() { acceptor_.start(); }

void Listener::stop() { acceptor_.stop(); }

void Listener::classify(asio::ip::tcp::socket socket, size_t worker) {
  auto pending = std::make_shared<PendingConnection>(std::move(socket), pool_.context(worker),
                                                     stats_.shard(worker), options_.session);
  pending->arm(options_.session.idle_timeout, service::ServerError::kIdleTimeout);
  read_first_word(std::move(pending), [this, worker](PendingConnection& p) {
    const uint32_t word = service::read_be32(p.word.data());
    if (auto it = magics_.find(word); it != magics_.end()) {
      it->second(std::move(p.socket));
      return;
    }
    if (options_.tls != nullptr) {
      if (p.word[0] != kTlsHandshakeRecord) {
        stats_.shard(worker).error(service::ServerError::kTlsRefused);
        tls_refusals_.refused(p.socket, "it sent plaintext; this port speaks TLS only");
        std::error_code ignore;
        p.socket.close(ignore);
        return;
      }
      accept_tls(std::move(p.socket), options_.tls->server(), p.word,
                 options_.session.frame_timeout, stats_.shard(worker), tls_refusals_,
                 [this, worker](tls::Stream stream) {
                   std::make_shared<ClientSession>(pool_.context(worker), std::move(stream),
                                                   std::span<const uint8_t>(), options_.session,
                                                   services_, stats_.shard(worker))
                       ->start();
                 });
      return;
    }
    auto session =
        std::make_shared<ClientSession>(pool_.context(worker), tls::Stream(std::move(p.socket)),
                                        p.word, options_.session, services_, stats_.shard(worker));
    session->start();
  });
}

}  // namespace drl::net
