#include "net/peer_link.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <asio/read.hpp>
#include <asio/write.hpp>

#include <spdlog/spdlog.h>

#include "common/host_port.h"
#include "net/peer_socket.h"
#include "net/source_address.h"
#include "service/frame.h"

namespace drl::net {
namespace {

using UnackedTimeout = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_USER_TIMEOUT>;

}  // namespace

std::string seal_peer_frame(std::string_view payload, const membership::Sealer* sealer) {
  const size_t body = payload.size() + (sealer ? membership::Sealer::kOverhead : 0);
  std::string out(service::kFrameHeaderBytes, '\0');
  out.reserve(service::kFrameHeaderBytes + body);
  service::write_be32(reinterpret_cast<uint8_t*>(out.data()), static_cast<uint32_t>(body));
  if (sealer) {
    sealer->seal({}, payload, out);
  } else {
    out.append(payload);
  }
  return out;
}

bool open_peer_frame(std::span<char> body, const membership::Sealer* sealer,
                     std::string_view& payload) {
  if (!sealer) {
    payload = std::string_view(body.data(), body.size());
    return true;
  }
  const auto plain = sealer->open({}, body);
  if (!plain) return false;
  payload = *plain;
  return true;
}

PeerLink::PeerLink(asio::io_context& io, std::string self_id, std::string address,
                   const PeerLinkOptions& options, PeerStats& stats, PeerLane lane)
    : io_(io),
      self_id_(std::move(self_id)),
      address_(std::move(address)),
      lane_(lane),
      options_(options),
      stats_(stats),
      stream_(io),
      retry_timer_(io),
      backoff_(options.backoff_min),
      probe_timer_(io) {}

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
  pending_ += seal_peer_frame(payload, options_.sealer.get());
  ++pending_frames_;
  if (state_ == State::kIdle) connect();
  if (state_ == State::kConnected) write_more();
}

namespace {

bool read_tcp_info(const asio::ip::tcp::socket& socket, tcp_info& info) {
  socklen_t len = sizeof(info);
  return ::getsockopt(const_cast<asio::ip::tcp::socket&>(socket).native_handle(), IPPROTO_TCP,
                      TCP_INFO, &info, &len) == 0;
}

}  // namespace

uint32_t PeerLink::retransmits() const {
  tcp_info info{};
  if (state_ != State::kConnected || !read_tcp_info(stream_.socket(), info)) return 0;
  return info.tcpi_total_retrans;
}

uint32_t PeerLink::take_new_retransmits() {
  const uint32_t count = retransmits();
  if (retransmits_generation_ != generation_) {
    retransmits_generation_ = generation_;
    retransmits_seen_ = 0;
  }
  const uint32_t fresh = count > retransmits_seen_ ? count - retransmits_seen_ : 0;
  retransmits_seen_ = std::max(retransmits_seen_, count);
  return fresh;
}

void PeerLink::open() {
  if (state_ == State::kIdle) connect();
}

uint32_t PeerLink::unacked_segments() const {
  tcp_info info{};
  if (state_ != State::kConnected || !read_tcp_info(stream_.socket(), info)) return 0;
  return info.tcpi_unacked;
}

bool PeerLink::settled(std::chrono::steady_clock::duration for_at_least) const {
  return state_ == State::kConnected &&
         std::chrono::steady_clock::now() - connected_at_ >= for_at_least;
}

bool PeerLink::recovering() const {
  tcp_info info{};
  if (state_ != State::kConnected || !read_tcp_info(stream_.socket(), info)) return false;
  return info.tcpi_ca_state >= TCP_CA_Recovery;
}

void PeerLink::set_lossy(bool lossy) {
  lossy_ = lossy;
  if (!lossy_) probe_timer_.cancel();
}

void PeerLink::arm_probe() {
  if (!lossy_ || options_.probe_payload.empty() || options_.probe_delay.count() <= 0 ||
      state_ != State::kConnected) {
    return;
  }
  // Restarting the timer cancels the wait for an earlier write: each write gets its probe.
  probe_timer_.expires_after(options_.probe_delay);
  probe_timer_.async_wait([self = shared_from_this(), seq = write_seq_](std::error_code ec) {
    if (!ec) self->on_probe_timer(seq);
  });
}

void PeerLink::on_probe_timer(uint64_t write_seq) {
  // Only when nothing was written since: a later write is itself the segment that reveals a
  // gap. The probe's own write does not arm another one (no probe chains on a quiet link).
  if (write_seq != write_seq_ || writing_ || state_ != State::kConnected) return;
  if (unacked_segments() == 0) return;
  stats_.loss_probes.fetch_add(1, std::memory_order_relaxed);
  probe_inflight_ = true;
  enqueue(options_.probe_payload);
}

void PeerLink::close() {
  state_ = State::kClosed;
  ++generation_;
  stream_.close();
  retry_timer_.cancel();
  probe_timer_.cancel();
  pending_.clear();
  pending_frames_ = 0;
}

void PeerLink::connect() {
  state_ = State::kConnecting;
  const uint64_t gen = ++generation_;
  std::error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  asio::ip::tcp::resolver::results_type endpoints;
  if (auto hp = parse_host_port(address_)) {
    endpoints = resolver.resolve(
        hp->host, std::to_string(hp->port),
        asio::ip::resolver_base::numeric_host | asio::ip::resolver_base::numeric_service, ec);
  } else {
    ec = asio::error::invalid_argument;
  }
  if (!ec && endpoints.empty()) ec = asio::error::host_not_found;
  if (ec) return fail(ec);
  // A numeric host resolves to one endpoint: connect to it from the node's own address.
  const asio::ip::tcp::endpoint peer = *endpoints.begin();
  stream_.reset_plain();
  auto& socket = stream_.socket();
  if (auto bind_ec = open_bound(socket, peer, specific_source(options_.source_host))) {
    return fail(bind_ec);
  }
  if (options_.unacked_timeout.count() > 0) {
    std::error_code ignored;  // without it the link still works, as on older kernels
    socket.set_option(UnackedTimeout(static_cast<int>(options_.unacked_timeout.count())), ignored);
  }
  socket.async_connect(peer, [self = shared_from_this(), gen](std::error_code e) {
    if (gen != self->generation_) return;
    if (e) return self->fail(e);
    tune_peer_socket(self->stream_.socket(), self->options_.rto_min);
    if (self->options_.tls != nullptr) return self->start_tls();
    self->on_connected();
  });
}

void PeerLink::start_tls() {
  const uint64_t gen = generation_;
  asio::async_write(
      stream_.socket(), asio::buffer(lane_magic(), 4),
      [self = shared_from_this(), gen](std::error_code ec, size_t) {
        if (gen != self->generation_) return;
        if (ec) return self->fail(ec);
        self->stream_.start_tls(self->options_.tls->client());
        self->stream_.async_handshake(
            asio::ssl::stream_base::client, [self, gen](std::error_code e) {
              if (gen != self->generation_) return;
              if (e) {
                self->stats_.tls_failures.fetch_add(1, std::memory_order_relaxed);
                if (!self->tls_warned_) {
                  self->tls_warned_ = true;
                  spdlog::warn("tls_refused peer link to {}: handshake failed: {} (retrying)",
                               self->address_, tls::describe_handshake_error(e));
                }
                return self->fail(e);
              }
              if (self->tls_warned_) {
                self->tls_warned_ = false;
                spdlog::info("peer link to {}: TLS handshake succeeded", self->address_);
              }
              self->on_connected();
            });
      });
}

void PeerLink::on_connected() {
  state_ = State::kConnected;
  connected_at_ = std::chrono::steady_clock::now();
  backoff_ = options_.backoff_min;
  stats_.connects.fetch_add(1, std::memory_order_relaxed);
  // Magic (unless TLS has sent it) and hello go before anything queued while disconnected.
  pending_.insert(0, seal_peer_frame(self_id_, options_.sealer.get()));
  if (!stream_.is_tls()) pending_.insert(0, lane_magic());
  ++pending_frames_;
  watch_close();
  write_more();
}

void PeerLink::write_more() {
  if (writing_ || pending_.empty() || state_ != State::kConnected) return;
  writing_ = true;
  ++write_seq_;
  const bool probe_only = std::exchange(probe_inflight_, false) && pending_frames_ == 1;
  inflight_.swap(pending_);
  pending_.clear();
  const size_t frames = pending_frames_;
  pending_frames_ = 0;
  const uint64_t gen = generation_;
  asio::async_write(
      stream_, asio::buffer(inflight_),
      [self = shared_from_this(), gen, frames, probe_only](std::error_code ec, size_t) {
        self->writing_ = false;
        self->inflight_.clear();
        if (gen != self->generation_) return;
        if (ec) return self->fail(ec);
        self->stats_.frames_sent.fetch_add(frames, std::memory_order_relaxed);
        self->write_more();
        if (!self->writing_ && !probe_only) self->arm_probe();
      });
}

// The peer never writes on this connection; a completed read means it closed (or broke
// protocol), either way the link starts over.
void PeerLink::watch_close() {
  const uint64_t gen = generation_;
  stream_.async_read_some(asio::buffer(&probe_byte_, 1),
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
  stream_.close();
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
