#include "net/acceptor.h"

#include <asio/post.hpp>
#include <utility>

#include "net/tcp_listen.h"

namespace drl::net {

Acceptor::Acceptor(IoPool& pool, size_t max_connections, service::ServerStats& stats,
                   AcceptHandler handler)
    : pool_(pool),
      max_connections_(max_connections),
      stats_(stats),
      handler_(std::move(handler)),
      acceptor_(pool.context(0)) {}

Acceptor::~Acceptor() { stop(); }

std::error_code Acceptor::listen(const std::string& host, uint16_t port) {
  return open_and_listen(acceptor_, host, port);
}

asio::ip::tcp::endpoint Acceptor::local_endpoint() const {
  std::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Acceptor::start() {
  asio::post(acceptor_.get_executor(), [this] { accept_next(); });
}

void Acceptor::stop() {
  if (stopped_.exchange(true)) return;
  std::error_code ec;
  acceptor_.close(ec);
}

void Acceptor::accept_next() {
  if (stopped_) return;
  const size_t worker = pool_.next_index();
  acceptor_.async_accept(pool_.context(worker),
                         [this, worker](std::error_code ec, asio::ip::tcp::socket socket) {
                           if (stopped_ || ec == asio::error::operation_aborted) return;
                           if (ec) {
                             stats_.shard(0).error(service::ServerError::kIo);
                           } else {
                             // Continue on the socket's own thread, where its shard is written.
                             auto exec = socket.get_executor();
                             asio::post(exec, [this, worker, s = std::move(socket)]() mutable {
                               admit(std::move(s), worker);
                             });
                           }
                           accept_next();
                         });
}

void Acceptor::admit(asio::ip::tcp::socket socket, size_t worker) {
  if (stats_.connections_open() >= max_connections_) {
    stats_.shard(worker).error(service::ServerError::kConnectionLimit);
    std::error_code ignore;
    socket.close(ignore);
    return;
  }
  handler_(std::move(socket), worker);
}

}  // namespace drl::net
