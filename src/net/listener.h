// The node's one TCP port. Accepts connections, reads each one's first 4 bytes and hands the
// socket to the handler registered for that magic word (gossip sync, peer links); any other
// word is a client frame length, and the connection becomes a ClientSession. With TLS
// (ListenerOptions::tls) a client connection must open with a TLS handshake (its first
// byte is a TLS record's, which no frame length under the limit starts with): the handshake
// completes, then the session reads frames through it. Peers still send their magic in
// plain and start TLS after it (peer_link.h).
// Accepts through the one Acceptor. Lives as long as the IoPool it was given; register_magic()
// before start(); start() and stop() from the controlling thread.
#pragma once
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <unordered_map>

#include "net/acceptor.h"
#include "net/client_session.h"
#include "net/io_pool.h"
#include "net/tls_accept.h"
#include "service/server_stats.h"
#include "tls/tls_context.h"

namespace drl::net {

// Receives a connection whose first 4 bytes (the magic) were already consumed. Called on the
// I/O thread that owns the socket.
using MagicHandler = std::function<void(asio::ip::tcp::socket socket)>;

struct ListenerOptions {
  SessionLimits session;
  size_t max_connections = 16384;  // client connections beyond this are closed at accept
  // Client connections must speak TLS with the current server context (not owned; outlives
  // the listener); null: plaintext frames.
  const tls::NodeContexts* tls = nullptr;
};

class Listener {
 public:
  Listener(IoPool& pool, ListenerOptions options, SessionServices services,
           service::ServerStats& stats);
  ~Listener();

  // Binds and listens. Returns an error (address in use, bad address) as a value.
  [[nodiscard]] std::error_code listen(const std::string& host, uint16_t port);
  asio::ip::tcp::endpoint local_endpoint() const;

  void register_magic(uint32_t magic, MagicHandler handler);
  // The id reported as decided_by; before start().
  void set_node_id(std::string id) { services_.node_id = std::move(id); }
  void start();
  // Closes the acceptor. Call only once the IoPool has stopped (the acceptor lives on
  // context 0); the destructor does it too.
  void stop();

 private:
  void classify(asio::ip::tcp::socket socket, size_t worker);

  IoPool& pool_;
  ListenerOptions options_;
  SessionServices services_;
  service::ServerStats& stats_;
  std::unordered_map<uint32_t, MagicHandler> magics_;
  TlsRefusalLog tls_refusals_{"client port"};
  Acceptor acceptor_;  // last: its handler uses the members above
};

}  // namespace drl::net
