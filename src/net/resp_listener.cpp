#include "net/resp_listener.h"

#include <memory>

namespace drl::net {

RespListener::RespListener(IoPool& pool, RespListenerOptions options, RespServices services,
                           service::ServerStats& stats)
    : pool_(pool),
      options_(options),
      services_(std::move(services)),
      stats_(stats),
      acceptor_(pool, options.max_connections, stats,
                [this](asio::ip::tcp::socket socket, size_t worker) {
                  if (options_.tls == nullptr) {
                    return start_session(tls::Stream(std::move(socket)), worker);
                  }
                  accept_tls(std::move(socket), options_.tls->server(), {},
                             options_.session.frame_timeout, stats_.shard(worker), tls_refusals_,
                             [this, worker](tls::Stream stream) {
                               start_session(std::move(stream), worker);
                             });
                }) {}

void RespListener::start_session(tls::Stream stream, size_t worker) {
  std::make_shared<RespSession>(pool_.context(worker), std::move(stream), options_.session,
                                services_, stats_.shard(worker))
      ->start();
}

RespListener::~RespListener() { stop(); }

std::error_code RespListener::listen(const std::string& host, uint16_t port) {
  return acceptor_.listen(host, port);
}

asio::ip::tcp::endpoint RespListener::local_endpoint() const { return acceptor_.local_endpoint(); }

void RespListener::start() { acceptor_.start(); }

void RespListener::stop() { acceptor_.stop(); }

}  // namespace drl::net
