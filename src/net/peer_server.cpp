#include "net/peer_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <asio/steady_timer.hpp>

#include <vector>

#include "net/peer_socket.h"
#include "service/frame.h"

namespace drl::net {
namespace {

using KeepIdle = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPIDLE>;
using KeepInterval = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPINTVL>;
using KeepCount = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPCNT>;
constexpr int kKeepIdleSeconds = 5, kKeepIntervalSeconds = 2, kKeepCount = 5;
constexpr std::chrono::seconds kHandshakeTimeout{5};

}  // namespace

class PeerServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(PeerServer& server, asio::ip::tcp::socket socket, PeerLane lane)
      : server_(server),
        stream_(server.options_.tls != nullptr
                    ? tls::Stream(std::move(socket), server.options_.tls->server())
                    : tls::Stream(std::move(socket))),
        handshake_timer_(stream_.get_executor()),
        lane_(lane) {}

  void start() {
    auto& socket = stream_.socket();
    tune_peer_socket(socket, server_.options_.rto_min);
    std::error_code ignored;
    // A peer that vanishes without a FIN (a cut link, a dead host) leaves this side reading a
    // silent connection forever: keep-alive probes find it dead within about 15 s.
    socket.set_option(asio::socket_base::keep_alive(true), ignored);
    socket.set_option(KeepIdle(kKeepIdleSeconds), ignored);
    socket.set_option(KeepInterval(kKeepIntervalSeconds), ignored);
    socket.set_option(KeepCount(kKeepCount), ignored);
    if (!stream_.is_tls()) return read_more();
    handshake_timer_.expires_after(kHandshakeTimeout);
    handshake_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->stream_.close();
    });
    stream_.async_handshake(
        asio::ssl::stream_base::server, [self = shared_from_this()](std::error_code ec) {
          self->handshake_timer_.cancel();
          if (ec) return self->refuse(tls::describe_handshake_error(ec));
          // A peer proves it is one with a certificate of the cluster's
          // CA (a client need not send one unless --tls-client-auth).
          if (SSL_get0_peer_certificate(self->stream_.native_tls()) == nullptr) {
            return self->refuse("it sent no certificate");
          }
          self->read_more();
        });
  }
  const std::string& from() const { return from_; }
  PeerLane lane() const { return lane_; }
  void close() { stream_.close(); }

 private:
  void refuse(const std::string& why) {
    server_.stats_.tls_failures.fetch_add(1, std::memory_order_relaxed);
    server_.refusals_.refused(stream_.socket(), why);
    finish();
  }

  void read_more() {
    if (buf_.size() - end_ < 65536) buf_.resize(std::max(buf_.size() * 2, end_ + 65536));
    stream_.async_read_some(asio::buffer(buf_.data() + end_, buf_.size() - end_),
                            [self = shared_from_this()](std::error_code ec, size_t n) {
                              if (ec) return self->finish();
                              self->end_ += n;
                              if (!self->process()) return self->finish();
                              self->read_more();
                            });
  }

  // Consumes every whole frame buffered. False: close the connection.
  bool process() {
    size_t at = 0;
    while (end_ - at >= service::kFrameHeaderBytes) {
      const uint32_t len = service::read_be32(buf_.data() + at);
      if (len > server_.options_.max_frame_bytes) {
        server_.stats_.malformed_frames.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      if (end_ - at - service::kFrameHeaderBytes < len) break;
      const std::span<char> body(reinterpret_cast<char*>(buf_.data() + at) + 4, len);
      at += service::kFrameHeaderBytes + len;
      std::string_view payload;
      if (!open_peer_frame(body, server_.options_.sealer.get(), payload)) {
        server_.stats_.auth_failures.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      server_.stats_.frames_received.fetch_add(1, std::memory_order_relaxed);
      if (from_.empty()) {
        if (payload.empty() || payload.size() > 256) {
          server_.stats_.malformed_frames.fetch_add(1, std::memory_order_relaxed);
          return false;
        }
        const auto nul = payload.find('\0');
        from_.assign(payload.substr(0, nul));
        if (nul != std::string_view::npos) from_address_.assign(payload.substr(nul + 1));
        if (from_.empty()) {
          server_.stats_.malformed_frames.fetch_add(1, std::memory_order_relaxed);
          return false;
        }
        server_.replace_older(*this);
        if (server_.on_hello_) {
          server_.on_hello_(from_, nul == std::string_view::npos
                                       ? std::string()
                                       : std::string(payload.substr(nul + 1)));
        }
        continue;
      }
      if (server_.stopped_) return false;
      if (server_.options_.faults != nullptr) {
        const service::FaultVerdict v = server_.options_.faults->verdict(from_, from_address_);
        if (v.drop) {
          server_.stats_.fault_drops.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        if (v.delay.count() > 0) {
          hold(std::string(payload), v.delay);
          continue;
        }
      }
      if (!server_.handler_(from_, payload)) {
        server_.stats_.malformed_frames.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    }
    std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(at),
              buf_.begin() + static_cast<std::ptrdiff_t>(end_), buf_.begin());
    end_ -= at;
    // A burst may have grown the buffer; give the memory back once it drains.
    if (end_ == 0 && buf_.size() > (1u << 20)) buf_ = std::vector<uint8_t>();
    return true;
  }

  void finish() {
    close();
    server_.sessions_.erase(shared_from_this());
  }

  // Test hooks: hands `payload` to the handler after `delay` (same delay, so in order).
  void hold(std::string payload, std::chrono::milliseconds delay) {
    auto timer = std::make_shared<asio::steady_timer>(stream_.get_executor(), delay);
    timer->async_wait([self = shared_from_this(), timer, p = std::move(payload)](std::error_code) {
      if (self->server_.stopped_) return;
      if (!self->server_.handler_(self->from_, p)) {
        self->server_.stats_.malformed_frames.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  PeerServer& server_;
  tls::Stream stream_;
  asio::steady_timer handshake_timer_;
  PeerLane lane_;
  std::vector<uint8_t> buf_;
  size_t end_ = 0;
  std::string from_;
  std::string from_address_;  // from the hello; may be empty
};

std::optional<asio::ip::tcp::socket> rehome_socket(asio::ip::tcp::socket socket,
                                                   asio::io_context& io) {
  std::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return std::nullopt;
  const auto fd = socket.release(ec);
  if (ec) return std::nullopt;
  asio::ip::tcp::socket moved(io);
  moved.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return std::nullopt;
  }
  return moved;
}

PeerServer::PeerServer(const PeerLinkOptions& options, PeerStats& stats, Handler handler,
                       HelloHandler on_hello)
    : options_(options),
      stats_(stats),
      handler_(std::move(handler)),
      on_hello_(std::move(on_hello)) {}

PeerServer::~PeerServer() { stop(); }

void PeerServer::accept(asio::ip::tcp::socket socket, PeerLane lane) {
  if (stopped_) return;
  auto session = std::make_shared<Session>(*this, std::move(socket), lane);
  sessions_.insert(session);
  session->start();
}

void PeerServer::replace_older(const Session& newer) {
  // A peer keeps one link per lane to this node: a new connection from it on a lane means it
  // gave the old one up (broken by its unacked timeout after a cut, or a restart). The old one may
  // never see a FIN, so close it here rather than hold its buffer until keep-alive notices.
  std::vector<std::shared_ptr<Session>> older;
  for (const auto& s : sessions_) {
    if (s.get() != &newer && s->from() == newer.from() && s->lane() == newer.lane()) {
      older.push_back(s);
    }
  }
  for (const auto& s : older) {
    s->close();
    sessions_.erase(s);
    stats_.replaced_connections.fetch_add(1, std::memory_order_relaxed);
  }
}

size_t PeerServer::sessions() const { return sessions_.size(); }

void PeerServer::stop() {
  stopped_ = true;
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (const auto& s : sessions) s->close();
}

}  // namespace drl::net
