#include "net/metrics_server.h"

#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <memory>

#include "net/tcp_listen.h"

namespace drl::net {

MetricsServer::MetricsServer(asio::io_context& io, std::function<std::string()> render)
    : io_(io), render_(std::move(render)), acceptor_(io) {}

std::error_code MetricsServer::listen(const std::string& host, uint16_t port) {
  return net::open_and_listen(acceptor_, host, port, 64);
}

asio::ip::tcp::endpoint MetricsServer::local_endpoint() const {
  std::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void MetricsServer::start() { accept_next(); }

void MetricsServer::accept_next() {
  acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      struct Exchange {
        Exchange(asio::ip::tcp::socket s, asio::io_context& io)
            : socket(std::move(s)), request(8192), timer(io) {}
        asio::ip::tcp::socket socket;
        asio::streambuf request;
        asio::steady_timer timer;
        std::string response;
      };
      auto x = std::make_shared<Exchange>(std::move(socket), io_);
      x->timer.expires_after(std::chrono::seconds(5));
      x->timer.async_wait([x](std::error_code e) {
        if (!e) {
          std::error_code ignore;
          x->socket.close(ignore);
        }
      });
      asio::async_read_until(
          x->socket, x->request, "\r\n\r\n", [this, x](std::error_code e, size_t) {
            if (e) {
              x->timer.cancel();
              return;
            }
            const std::string body = render_();
            x->response =
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
            asio::async_write(x->socket, asio::buffer(x->response), [x](std::error_code, size_t) {
              x->timer.cancel();
              std::error_code ignore;
              x->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignore);
              x->socket.close(ignore);
            });
          });
    }
    accept_next();
  });
}

}  // namespace drl::net
