// The one accept loop of the node's client ports (the native/peer port and the RESP port):
// binds HOST:PORT, accepts on the IoPool's threads in turn, closes a connection at once when
// the node already holds --max-connections client connections, and hands every other socket,
// on its own I/O thread, to the door's handler (which makes the session). Owns the acceptor.
// Lives as long as the IoPool it was given; start() and stop() from the controlling thread.
#pragma once
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

#include "net/io_pool.h"
#include "service/server_stats.h"

namespace drl::net {

// Called on the I/O thread of index `worker`, which owns `socket` and writes stats shard
// `worker`.
using AcceptHandler = std::function<void(asio::ip::tcp::socket socket, size_t worker)>;

class Acceptor {
 public:
  // `max_connections`: all client connections of the node (every door, unidentified ones
  // included, as `stats` counts them).
  Acceptor(IoPool& pool, size_t max_connections, service::ServerStats& stats,
           AcceptHandler handler);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Binds and listens. Returns an error (address in use, bad address) as a value.
  [[nodiscard]] std::error_code listen(const std::string& host, uint16_t port);
  asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  // Closes the acceptor. Call only once the IoPool has stopped (the acceptor lives on
  // context 0); the destructor does it too.
  void stop();

 private:
  void accept_next();
  void admit(asio::ip::tcp::socket socket, size_t worker);

  IoPool& pool_;
  size_t max_connections_;
  service::ServerStats& stats_;
  AcceptHandler handler_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopped_{false};
};

}  // namespace drl::net
