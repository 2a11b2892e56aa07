// The node's optional Redis-protocol port (`drl node --resp HOST:PORT`). Accepts connections
// and hands each to a RespSession on one of the IoPool's threads, through the one Acceptor.
// Lives as long as the IoPool it was given; start() and stop() from the controlling thread.
#pragma once
#include <asio/ip/tcp.hpp>
#include <string>
#include <system_error>

#include "net/acceptor.h"
#include "net/io_pool.h"
#include "net/resp_session.h"
#include "net/tls_accept.h"
#include "service/server_stats.h"

namespace drl::net {

struct RespListenerOptions {
  RespSessionLimits session;
  size_t max_connections = 16384;  // all client connections (native + RESP) of the node
  // Every connection must speak TLS with the current server context (not owned; outlives
  // the listener); null: plain RESP.
  const tls::NodeContexts* tls = nullptr;
};

class RespListener {
 public:
  RespListener(IoPool& pool, RespListenerOptions options, RespServices services,
               service::ServerStats& stats);
  ~RespListener();

  // Binds and listens. Returns an error (address in use, bad address) as a value.
  [[nodiscard]] std::error_code listen(const std::string& host, uint16_t port);
  asio::ip::tcp::endpoint local_endpoint() const;
  void set_node_id(std::string id) { services_.node_id = std::move(id); }  // before start()
  // Client tokens every session must AUTH with (null: none); outlives this. Before start().
  void set_auth(const service::ClientAuth* auth) { services_.auth = auth; }
  void start();
  // Closes the acceptor. Call once the IoPool has stopped; the destructor does it too.
  void stop();

 private:
  void start_session(tls::Stream stream, size_t worker);
  IoPool& pool_;
  RespListenerOptions options_;
  RespServices services_;
  service::ServerStats& stats_;
  TlsRefusalLog tls_refusals_{"RESP port"};
  Acceptor acceptor_;  // last: its handler uses the members above
};

}  // namespace drl::net
