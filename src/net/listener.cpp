#include "net/listener.h"

#include <array>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <memory>

#include "net/frame.h"

namespace drl::net {

Listener::Listener(IoPool& pool, ListenerOptions options, SessionServices services,
                   ServerStats& stats)
    : pool_(pool),
      options_(options),
      services_(std::move(services)),
      stats_(stats),
      acceptor_(pool.context(0)) {}

Listener::~Listener() { stop(); }

std::error_code Listener::listen(const std::string& host, uint16_t port) {
  std::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return ec;
  const asio::ip::tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return ec;
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) return ec;
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

asio::ip::tcp::endpoint Listener::local_endpoint() const {
  std::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::register_magic(uint32_t magic, MagicHandler handler) {
  magics_[magic] = std::move(handler);
}

void Listener::start() {
  asio::post(acceptor_.get_executor(), [this] { accept_next(); });
}

void Listener::stop() {
  if (stopped_.exchange(true)) return;
  // The acceptor belongs to context 0; close it there if that context still runs.
  std::error_code ec;
  acceptor_.close(ec);
}

void Listener::accept_next() {
  if (stopped_) return;
  const size_t worker = pool_.next_index();
  acceptor_.async_accept(pool_.context(worker),
                         [this, worker](std::error_code ec, asio::ip::tcp::socket socket) {
                           if (stopped_ || ec == asio::error::operation_aborted) return;
                           if (!ec) {
                             // Continue on the socket's own thread.
                             auto exec = socket.get_executor();
                             asio::post(exec, [this, worker, s = std::move(socket)]() mutable {
                               classify(std::move(s), worker);
                             });
                           } else {
                             stats_.shard(0).error(ServerError::kIo);
                           }
                           accept_next();
                         });
}

void Listener::classify(asio::ip::tcp::socket socket, size_t worker) {
  auto& shard = stats_.shard(worker);
  const auto snap_open = [this] {
    uint64_t open = 0;
    for (size_t i = 0; i < stats_.shard_count(); ++i) {
      auto& s = stats_.shard(i);
      open += s.connections_accepted.load(std::memory_order_relaxed) -
              s.connections_closed.load(std::memory_order_relaxed);
    }
    return open;
  };
  if (snap_open() >= options_.max_connections) {
    shard.error(ServerError::kConnectionLimit);
    std::error_code ec;
    socket.close(ec);
    return;
  }
  struct Pending {
    asio::ip::tcp::socket socket;
    std::array<uint8_t, kFrameHeaderBytes> word{};
    asio::steady_timer timer;
  };
  auto pending = std::make_shared<Pending>(
      Pending{std::move(socket), {}, asio::steady_timer(pool_.context(worker))});
  // A connection that never says its first word is closed after the idle timeout.
  if (options_.session.idle_timeout.count() > 0) {
    pending->timer.expires_after(options_.session.idle_timeout);
    pending->timer.async_wait([pending, &shard](std::error_code ec) {
      if (ec) return;
      shard.error(ServerError::kIdleTimeout);
      std::error_code ignore;
      pending->socket.close(ignore);
    });
  }
  asio::async_read(pending->socket, asio::buffer(pending->word),
                   [this, pending, worker](std::error_code ec, size_t) {
                     pending->timer.cancel();
                     if (ec) return;
                     const uint32_t word = read_be32(pending->word.data());
                     if (auto it = magics_.find(word); it != magics_.end()) {
                       it->second(std::move(pending->socket));
                       return;
                     }
                     auto session = std::make_shared<ClientSession>(
                         pool_.context(worker), std::move(pending->socket), pending->word,
                         options_.session, services_, stats_.shard(worker));
                     session->start();
                   });
}

}  // namespace drl::net
