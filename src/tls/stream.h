// A TCP connection that is either plain or TLS, decided when it is made, with the one
// interface asio's composed operations need (async_read_some, async_write_some,
// get_executor), so a session is written once for both. A plain stream costs one branch per
// operation; the TLS one is asio's ssl::stream, which owns the socket, and keeps the context
// it was made with alive (a reload gives new connections a new context, never old ones).
// Every TLS operation keeps the TLS layer alive until it completes, so the stream may be
// closed and reset (to connect again) while aborted operations are still queued.
// Used on the thread of the socket's executor only, like the socket itself. I/O shell only.
#pragma once
#include <asio/ip/tcp.hpp>
#include <asio/ssl/host_name_verification.hpp>
#include <asio/ssl/stream.hpp>
#include <memory>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include "tls/tls_context.h"

namespace drl::tls {

// Decrypts into [at, at + room) the records `ssl` has already received, without touching the
// socket: OpenSSL hands out one record per SSL_read, and asio's engine feeds it from its own
// buffer, so after an asio read further whole records may wait there. Stops at the first
// record not fully received (or an error or close, which the next asio read reports).
// Returns the bytes written.
size_t read_received_records(SSL* ssl, char* at, size_t room);

class Stream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;
  using TlsLayer = asio::ssl::stream<asio::ip::tcp::socket>;

  explicit Stream(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}
  // A plain stream whose socket is not open yet (a client opens and connects socket()).
  explicit Stream(asio::io_context& io) : plain_(io) {}
  // TLS over `socket` with `context` (not null); handshake() before any read or write.
  Stream(asio::ip::tcp::socket socket, std::shared_ptr<Context> context)
      : plain_(socket.get_executor()),
        context_(std::move(context)),
        tls_(std::make_shared<TlsLayer>(std::move(socket), *context_)) {}

  bool is_tls() const { return tls_ != nullptr; }
  // Drops the connection (and TLS) for a closed plain socket, to open and connect again.
  // No operation may be pending.
  void reset_plain() {
    tls_.reset();
    context_.reset();
    std::error_code ignored;
    plain_.close(ignored);
  }
  // Turns a plain, connected stream into TLS over the same connection with `context`
  // (after a plaintext preamble); handshake() next.
  void start_tls(std::shared_ptr<Context> context) {
    context_ = std::move(context);
    tls_ = std::make_shared<TlsLayer>(std::move(plain_), *context_);
  }
  executor_type get_executor() { return socket().get_executor(); }
  // The TCP socket underneath (options, shutdown, close, endpoints).
  asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  const asio::ip::tcp::socket& socket() const { return tls_ ? tls_->next_layer() : plain_; }
  // The OpenSSL connection; null when plain.
  SSL* native_tls() { return tls_ ? tls_->native_handle() : nullptr; }

  // A client checks that the server's certificate names `host` (a DNS name or an IP address)
  // and sends it as SNI when it is a name. Before handshake(); TLS only.
  void verify_host_name(const std::string& host) {
    asio::error_code not_an_address;
    (void)asio::ip::make_address(host, not_an_address);
    if (not_an_address) SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
    tls_->set_verify_callback(asio::ssl::host_name_verification(host));
  }

  // `initial` holds bytes of the client's first message the caller already read (a server
  // that peeked to tell TLS from plain frames). done(std::error_code).
  template <typename Done>
  void async_handshake(asio::ssl::stream_base::handshake_type type, asio::const_buffer initial,
                       Done&& done) {
    tls_->async_handshake(type, initial,
                          [keep = tls_, done = std::forward<Done>(done)](
                              std::error_code ec, size_t) mutable { done(ec); });
  }
  template <typename Done>
  void async_handshake(asio::ssl::stream_base::handshake_type type, Done&& done) {
    tls_->async_handshake(type, [keep = tls_, done = std::forward<Done>(done)](
                                    std::error_code ec) mutable { done(ec); });
  }

  // With TLS, a read into one buffer also takes every further record already received
  // (read_received_records), so a peer's many small records are served by one read.
  template <typename Buffers, typename Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, [keep = tls_, buffers, h = std::forward<Handler>(handler)](
                                         std::error_code ec, size_t n) mutable {
        if constexpr (std::is_convertible_v<const Buffers&, asio::mutable_buffer>) {
          const asio::mutable_buffer b = buffers;
          if (!ec && n < b.size()) {
            n += read_received_records(keep->native_handle(), static_cast<char*>(b.data()) + n,
                                       b.size() - n);
          }
        }
        h(ec, n);
      });
    } else {
      plain_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  template <typename Buffers, typename Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, [keep = tls_, h = std::forward<Handler>(handler)](
                                          std::error_code ec, size_t n) mutable { h(ec, n); });
    } else {
      plain_.async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

  // Closes the connection at once (no TLS close_notify: nothing waits for it).
  void close() {
    std::error_code ignored;
    socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  asio::ip::tcp::socket plain_;  // unused (never opened) when TLS
  std::shared_ptr<Context> context_;
  std::shared_ptr<TlsLayer> tls_;
};

// A TLS handshake's failure as an operator reads it ("certificate verify failed", ...).
std::string describe_handshake_error(const std::error_code& ec);

}  // namespace drl::tls
