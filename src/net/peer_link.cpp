#include "net/peer_link.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>

#include <asio/read.hpp>
#include <asio/write.hpp>

#include "net/peer_socket.h"
#include "net/source_address.h"
#include "service/frame.h"

namespace drl::net {
namespace {

constexpr size_t kTagBytes = crypto_auth_BYTES;
using UnackedTimeout = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_USER_TIMEOUT>;
static_assert(crypto_auth_KEYBYTES == membership::kClusterKeyBytes);

bool split_host_port(const std::string& address, std::string& host, std::string& port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return true;
}

}  // namespace

std::string seal_peer_frame(std::string_view payload,
                            const std::optional<membership::ClusterKey>& key) {
  const size_t body = payload.size() + (key ? kTagBytes : 0);
  std::string out(service::kFrameHeaderBytes + body, '\0');
  service::write_be32(reinterpret_cast<uint8_t*>(out.data()), static_cast<uint32_t>(body));
  std::copy(payload.begin(), payload.end(), out.begin() + service::kFrameHeaderBytes);
  if (key) {
    if (sodium_init() < 0) return {};
    crypto_auth(
        reinterpret_cast<unsigned char*>(out.data() + service::kFrameHeaderBytes + payload.size()),
        reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), key->data());
  }
  return out;
}

bool open_peer_frame(std::string_view body, const std::optional<membership::ClusterKey>& key,
                     std::string_view& payload) {
  if (!key) {
    payload = body;
    return true;
  }
  if (body.size() < kTagBytes || sodium_init() < 0) return false;
  const size_t n = body.size() - kTagBytes;
  if (crypto_auth_verify(reinterpret_cast<const unsigned char*>(body.data() + n),
                         reinterpret_cast<const unsigned char*>(body.data()), n,
                         key->data()) != 0) {
    return false;
  }
  payload = body.substr(0, n);
  return true;
}

PeerLink::PeerLink(asio::io_context& io, std::string self_id, std::string address,
                   const PeerLinkOptions& options, PeerStats& stats)
    : io_(io),
      self_id_(std::move(self_id)),
      address_(std::move(address)),
      options_(options),
      stats_(stats),
      socket_(io),
      retry_timer_(io),
      backoff_(options.backoff_min) {}

void PeerLink::send(std::string_view payload) {
  if (state_ == State::kClosed) return;
  if (options_.faults != nullptr) {
    const service::FaultVerdict v = options_.faults->verdict({}, address_);
    if (v.drop) {
      stats_.fault_drops.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (v.delay.count() > 0) {
      // Same delay for every frame, so timers expire in send order.
      auto timer = std::make_shared<asio::steady_timer>(io_, v.delay);
      timer->async_wait([self = shared_from_this(), timer,
                         p = std::string(payload)](std::error_code) { self->enqueue(p); });
      return;
    }
  }
  enqueue(payload);
}

void PeerLink::enqueue(std::string_view payload) {
  if (state_ == State::kClosed) return;
  if (pending_frames_ >= options_.max_queued_frames) {
    stats_.queue_drops.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  pending_ += seal_peer_frame(payload, options_.key);
  ++pending_frames_;
  if (state_ == State::kIdle) connect();
  if (state_ == State::kConnected) write_more();
}

void PeerLink::close() {
  state_ = State::kClosed;
  ++generation_;
  std::error_code ignored;
  socket_.close(ignored);
  retry_timer_.cancel();
  pending_.clear();
  pending_frames_ = 0;
}

void PeerLink::connect() {
  state_ = State::kConnecting;
  const uint64_t gen = ++generation_;
  std::string host, port;
  std::error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  asio::ip::tcp::resolver::results_type endpoints;
  if (split_host_port(address_, host, port)) {
    endpoints = resolver.resolve(
        host, port,
        asio::ip::resolver_base::numeric_host | asio::ip::resolver_base::numeric_service, ec);
  } else {
    ec = asio::error::invalid_argument;
  }
  if (!ec && endpoints.empty()) ec = asio::error::host_not_found;
  if (ec) return fail(ec);
  // A numeric host resolves to one endpoint: connect to it from the node's own address.
  const asio::ip::tcp::endpoint peer = *endpoints.begin();
  socket_ = asio::ip::tcp::socket(io_);
  if (auto bind_ec = open_bound(socket_, peer, specific_source(options_.source_host))) {
    return fail(bind_ec);
  }
  if (options_.unacked_timeout.count() > 0) {
    std::error_code ignored;  // without it the link still works, as on older kernels
    socket_.set_option(UnackedTimeout(static_cast<int>(options_.unacked_timeout.count())), ignored);
  }
  socket_.async_connect(peer, [self = shared_from_this(), gen](std::error_code e) {
    if (gen != self->generation_) return;
    if (e) return self->fail(e);
    self->on_connected();
  });
}

void PeerLink::on_connected() {
  state_ = State::kConnected;
  backoff_ = options_.backoff_min;
  stats_.connects.fetch_add(1, std::memory_order_relaxed);
  tune_peer_socket(socket_, options_.rto_min);
  // Magic and hello go before anything queued while disconnected.
  pending_.insert(0, seal_peer_frame(self_id_, options_.key));
  pending_.insert(0, "DRLP");
  ++pending_frames_;
  watch_close();
  write_more();
}

void PeerLink::write_more() {
  if (writing_ || pending_.empty() || state_ != State::kConnected) return;
  writing_ = true;
  inflight_.swap(pending_);
  pending_.clear();
  const size_t frames = pending_frames_;
  pending_frames_ = 0;
  const uint64_t gen = generation_;
  asio::async_write(socket_, asio::buffer(inflight_),
                    [self = shared_from_this(), gen, frames](std::error_code ec, size_t) {
                      self->writing_ = false;
                      self->inflight_.clear();
                      if (gen != self->generation_) return;
                      if (ec) return self->fail(ec);
                      self->stats_.frames_sent.fetch_add(frames, std::memory_order_relaxed);
                      self->write_more();
                    });
}

// The peer never writes on this connection; a completed read means it closed (or broke
// protocol), either way the link starts over.
void PeerLink::watch_close() {
  const uint64_t gen = generation_;
  socket_.async_read_some(asio::buffer(&probe_byte_, 1),
                          [self = shared_from_this(), gen](std::error_code ec, size_t) {
                            if (gen != self->generation_) return;
                            self->fail(ec ? ec : asio::error::connection_reset);
                          });
}

void PeerLink::fail(const std::error_code&) {
  if (state_ == State::kClosed) return;
  if (state_ == State::kConnected) {
    stats_.disconnects.fetch_add(1, std::memory_order_relaxed);
  } else {
    stats_.connect_failures.fetch_add(1, std::memory_order_relaxed);
  }
  ++generation_;
  std::error_code ignored;
  socket_.close(ignored);
  // What was being written may be lost; forwards time out and fail over, replicas are
  // resent as state, so nothing needs replaying here.
  state_ = State::kWaiting;
  const uint64_t gen = generation_;
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  retry_timer_.async_wait([self = shared_from_this(), gen](std::error_code ec) {
    if (ec || gen != self->generation_ || self->state_ != State::kWaiting) return;
    self->connect();
  });
}

}  // namespace drl::net
