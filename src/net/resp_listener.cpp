#include "net/resp_listener.h"

#include <asio/post.hpp>
#include <memory>

#include "net/tcp_listen.h"

namespace drl::net {

RespListener::RespListener(IoPool& pool, RespListenerOptions options, RespServices services,
                           service::ServerStats& stats)
    : pool_(pool),
      options_(options),
      services_(std::move(services)),
      stats_(stats),
      acceptor_(pool.context(0)) {}

RespListener::~RespListener() { stop(); }

std::error_code RespListener::listen(const std::string& host, uint16_t port) {
  return open_and_listen(acceptor_, host, port);
}

asio::ip::tcp::endpoint RespListener::local_endpoint() const {
  std::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void RespListener::start() {
  asio::post(acceptor_.get_executor(), [this] { accept_next(); });
}

void RespListener::stop() {
  if (stopped_.exchange(true)) return;
  std::error_code ec;
  acceptor_.close(ec);
}

void RespListener::accept_next() {
  if (stopped_) return;
  const size_t worker = pool_.next_index();
  acceptor_.async_accept(
      pool_.context(worker), [this, worker](std::error_code ec, asio::ip::tcp::socket socket) {
        if (stopped_ || ec == asio::error::operation_aborted) return;
        if (ec) {
          stats_.shard(0).error(service::ServerError::kIo);
        } else {
          // Continue on the socket's own thread, where its stats shard is written.
          auto exec = socket.get_executor();
          asio::post(exec, [this, worker, s = std::move(socket)]() mutable {
            auto& shard = stats_.shard(worker);
            if (stats_.snapshot().connections_open() >= options_.max_connections) {
              shard.error(service::ServerError::kConnectionLimit);
              std::error_code ignore;
              s.close(ignore);
              return;
            }
            std::make_shared<RespSession>(pool_.context(worker), std::move(s), options_.session,
                                          services_, shard)
                ->start();
          });
        }
        accept_next();
      });
}

}  // namespace drl::net
