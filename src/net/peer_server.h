// The receiving side of peer links: sessions for connections whose "DRLP" magic the node's
// listener already consumed. Reads the hello, then hands each frame's payload to the handler.
// A frame that is too large, fails authentication, comes before the hello, or that the
// handler refuses (returns false: it did not parse) is counted and closes the connection;
// nothing crashes.
// Threads: lives on one io_context run by one thread (the same as the PeerLinks); accept() and
// stop() are called on that thread. Must outlive the io_context's handlers (stop(), then let
// the context finish).
#pragma once
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "net/peer_link.h"
#include "net/tls_accept.h"

namespace drl::net {

// Moves a connected socket to another io_context (the listener accepts on its I/O threads;
// peer links and gossip run elsewhere). Empty when the descriptor could not be moved (the
// connection is then closed). Call with no operation pending on `socket`.
std::optional<asio::ip::tcp::socket> rehome_socket(asio::ip::tcp::socket socket,
                                                   asio::io_context& io);

class PeerServer {
 public:
  // Returns false when the payload is not a valid message (the connection is then closed).
  using Handler = std::function<bool(const std::string& from, std::string_view payload)>;

  // Called once per connection with the hello: the sender's id and, when it sent one, the
  // address it listens on ("" otherwise).
  using HelloHandler = std::function<void(const std::string& from, const std::string& address)>;

  PeerServer(const PeerLinkOptions& options, PeerStats& stats, Handler handler,
             HelloHandler on_hello = {});
  ~PeerServer();
  // `socket` must belong to the io_context this server runs on; `lane`: which of the
  // sender's two connections it is (its magic).
  void accept(asio::ip::tcp::socket socket, PeerLane lane = PeerLane::kMain);
  void stop();
  // Open incoming peer connections (for tests and status).
  size_t sessions() const;

 private:
  class Session;
  void replace_older(const Session& newer);
  const PeerLinkOptions& options_;
  PeerStats& stats_;
  Handler handler_;
  HelloHandler on_hello_;
  std::set<std::shared_ptr<Session>> sessions_;
  TlsRefusalLog refusals_{"peer port"};
  bool stopped_ = false;
};

}  // namespace drl::net
