#include "net/gossip_transport.h"

#include <random>

#include "common/host_port.h"
#include "net/source_address.h"

namespace drl::net {
namespace {

using asio::ip::tcp;
using asio::ip::udp;
using membership::Transport;

std::string frame(std::string_view packet, bool with_magic) {
  std::string out;
  out.reserve(packet.size() + 8);
  if (with_magic) out.append(kGossipSyncMagic, sizeof kGossipSyncMagic);
  const auto n = static_cast<uint32_t>(packet.size());
  const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n)};
  out.append(len, 4);
  out.append(packet);
  return out;
}

uint32_t frame_length(const std::array<uint8_t, 4>& b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

uint64_t seed_or_random(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (uint64_t(rd()) << 32) ^ rd();
}

}  // namespace

// Reads one frame (length + packet) from a socket, with a deadline; shared by both sides.
class FrameReader {
 public:
  template <typename Handler>
  static void read(std::shared_ptr<tcp::socket> socket, std::shared_ptr<std::array<uint8_t, 4>> len,
                   std::shared_ptr<std::string> body, uint32_t max, Handler handler) {
    asio::async_read(*socket, asio::buffer(*len),
                     [socket, len, body, max, handler](std::error_code ec, size_t) mutable {
                       if (ec) return handler(false);
                       const uint32_t n = frame_length(*len);
                       if (n == 0 || n > max) return handler(false);
                       body->resize(n);
                       asio::async_read(*socket, asio::buffer(*body),
                                        [socket, body, handler](std::error_code ec2,
                                                                size_t) mutable { handler(!ec2); });
                     });
  }
};

// Outgoing push/pull: connect, "DRLG" + frame, read the reply frame, hand it to Swim.
class GossipTransport::SyncExchange : public std::enable_shared_from_this<SyncExchange> {
 public:
  SyncExchange(GossipTransport& owner, std::string request)
      : owner_(owner),
        executor_(asio::make_strand(owner.io_)),
        socket_(std::make_shared<tcp::socket>(executor_)),
        deadline_(executor_),
        request_(frame(request, true)) {}

  void run(const std::string& address) {
    auto hp = parse_host_port(address);
    if (!hp) return;
    deadline_.expires_after(std::chrono::nanoseconds(owner_.options_.sync_timeout));
    deadline_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->socket_->close();
    });
    std::error_code ec;
    tcp::resolver resolver(owner_.io_);
    auto endpoints = resolver.resolve(hp->host, std::to_string(hp->port), ec);
    if (ec) return finish();
    const auto source = specific_source(owner_.options_.bind_host);
    if (!source) {
      asio::async_connect(*socket_, endpoints,
                          [self = shared_from_this()](std::error_code ec, const tcp::endpoint&) {
                            if (ec) return self->finish();
                            self->write();
                          });
      return;
    }
    // From the node's own address: one endpoint of its family (a range connect would
    // reopen the socket and lose the binding).
    for (const auto& entry : endpoints) {
      const tcp::endpoint peer = entry.endpoint();
      if (peer.address().is_v4() != source->is_v4()) continue;
      if (open_bound(*socket_, peer, source)) return finish();
      socket_->async_connect(peer, [self = shared_from_this()](std::error_code ec) {
        if (ec) return self->finish();
        self->write();
      });
      return;
    }
    finish();
  }

 private:
  void write() {
    asio::async_write(*socket_, asio::buffer(request_),
                      [self = shared_from_this()](std::error_code ec, size_t) {
                        if (ec) return self->finish();
                        self->read_reply();
                      });
  }
  void read_reply() {
    auto self = shared_from_this();
    FrameReader::read(socket_, len_, body_, owner_.options_.max_sync_frame, [self](bool ok) {
      if (ok) {
        asio::post(self->owner_.strand_, [self] { self->owner_.deliver(*self->body_); });
      }
      self->finish();
    });
  }
  void finish() {
    deadline_.cancel();
    std::error_code ignored;
    socket_->close(ignored);
  }

  GossipTransport& owner_;
  // The socket's and the timer's handlers run on one strand, so the deadline's close()
  // never races an operation in flight.
  asio::strand<asio::io_context::executor_type> executor_;
  std::shared_ptr<tcp::socket> socket_;
  asio::steady_timer deadline_;
  std::string request_;
  std::shared_ptr<std::array<uint8_t, 4>> len_ = std::make_shared<std::array<uint8_t, 4>>();
  std::shared_ptr<std::string> body_ = std::make_shared<std::string>();
};

// Incoming push/pull (magic already consumed): read a frame, answer on the strand, write back.
class GossipTransport::SyncSession : public std::enable_shared_from_this<SyncSession> {
 public:
  SyncSession(GossipTransport& owner, tcp::socket socket)
      : owner_(owner),
        socket_(std::make_shared<tcp::socket>(std::move(socket))),
        deadline_(socket_->get_executor()) {}  // same executor as the acceptor gave the socket

  void run() {
    deadline_.expires_after(std::chrono::nanoseconds(owner_.options_.sync_timeout));
    deadline_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->socket_->close();
    });
    auto self = shared_from_this();
    FrameReader::read(socket_, len_, body_, owner_.options_.max_sync_frame, [self](bool ok) {
      if (!ok) return self->finish();
      asio::post(self->owner_.strand_, [self] {
        auto reply = self->owner_.answer(*self->body_);
        if (!reply) return self->finish();
        self->reply_ = frame(*reply, false);
        asio::async_write(*self->socket_, asio::buffer(self->reply_),
                          [self](std::error_code, size_t) { self->finish(); });
      });
    });
  }

 private:
  void finish() {
    deadline_.cancel();
    std::error_code ignored;
    socket_->close(ignored);
  }

  GossipTransport& owner_;
  std::shared_ptr<tcp::socket> socket_;
  asio::steady_timer deadline_;
  std::shared_ptr<std::array<uint8_t, 4>> len_ = std::make_shared<std::array<uint8_t, 4>>();
  std::shared_ptr<std::string> body_ = std::make_shared<std::string>();
  std::string reply_;
};

GossipTransport::GossipTransport(asio::io_context& io, uint16_t port, membership::MemberInfo self,
                                 GossipTransportOptions options)
    : io_(io),
      strand_(asio::make_strand(io)),
      requested_port_(port),
      self_(std::move(self)),
      options_(std::move(options)),
      random_(seed_or_random(options_.seed)),
      codec_(options_.sealer),
      udp_(strand_),
      timer_(strand_) {}

GossipTransport::~GossipTransport() = default;

std::string GossipTransport::start(std::vector<std::string> seeds) {
  if (swim_) return "gossip: already started";
  std::error_code ec;
  const auto host = specific_source(options_.bind_host);
  const udp::endpoint local =
      host ? udp::endpoint(*host, requested_port_) : udp::endpoint(udp::v4(), requested_port_);
  udp_.open(local.protocol(), ec);
  if (!ec) udp_.bind(local, ec);
  if (ec) {
    return "gossip: cannot bind UDP port " + std::to_string(requested_port_) + " on " +
           local.address().to_string() + ": " + ec.message() + " (is another process using it?)";
  }
  const uint16_t bound = udp_.local_endpoint(ec).port();
  auto hp = parse_host_port(self_.address, PortZero::kAllowed);
  if (!hp) return "gossip: advertised address: " + hp.status().message();
  if (hp->port == 0) self_.address = hp->host + ":" + std::to_string(bound);
  {
    std::lock_guard lock(mu_);
    address_ = self_.address;
    port_ = bound;
  }
  swim_ = std::make_unique<membership::Swim>(options_.config, self_, random_, now());
  asio::post(strand_, [this, seeds = std::move(seeds)]() mutable {
    swim_->join(std::move(seeds), now());
    flush();
    refresh_snapshot();
    receive_next();
    schedule_tick();
  });
  return {};
}

void GossipTransport::leave() {
  asio::post(strand_, [this] {
    if (stopped_ || !swim_) return;
    swim_->leave(now());
    flush();
    stopped_ = true;
    timer_.cancel();
    // Let the farewell datagrams go out before the socket closes.
    asio::post(strand_, [this] {
      std::error_code ignored;
      udp_.close(ignored);
    });
  });
}

void GossipTransport::stop() {
  asio::post(strand_, [this] {
    stopped_ = true;
    timer_.cancel();
    std::error_code ignored;
    udp_.close(ignored);
  });
}

void GossipTransport::accept_sync(asio::ip::tcp::socket socket) {
  std::make_shared<SyncSession>(*this, std::move(socket))->run();
}

void GossipTransport::receive_next() {
  if (stopped_) return;
  udp_.async_receive_from(asio::buffer(recv_buf_), recv_from_,
                          asio::bind_executor(strand_, [this](std::error_code ec, size_t n) {
                            if (ec == asio::error::operation_aborted || stopped_) return;
                            if (!ec) on_datagram(n);
                            receive_next();
                          }));
}

void GossipTransport::on_datagram(size_t n) {
  auto decoded =
      codec_.decode(std::string_view(recv_buf_.data(), n), options_.config.max_packet_bytes);
  if (!decoded.message) return;
  const service::FaultVerdict v =
      fault(decoded.message->sender_id, decoded.message->sender_address);
  if (v.drop) return;
  if (v.delay.count() > 0) {
    auto timer = std::make_shared<asio::steady_timer>(strand_, v.delay);
    timer->async_wait([this, timer, m = std::move(*decoded.message)](std::error_code ec) {
      if (ec || stopped_) return;
      swim_->receive(m, now());
      flush();
    });
    return;
  }
  swim_->receive(*decoded.message, now());
  flush();
}

void GossipTransport::schedule_tick() {
  if (stopped_) return;
  timer_.expires_after(std::chrono::nanoseconds(options_.tick_interval));
  timer_.async_wait(asio::bind_executor(strand_, [this](std::error_code ec) {
    if (ec || stopped_) return;
    swim_->tick(now());
    flush();
    if (now() - last_snapshot_ >= options_.config.probe_interval) refresh_snapshot();
    schedule_tick();
  }));
}

void GossipTransport::flush() {
  for (auto& out : swim_->take_outbox()) {
    if (out.transport == Transport::kUdp) {
      std::string bytes = codec_.encode(out.message, options_.config.max_packet_bytes);
      if (!bytes.empty()) send_udp(out.to, std::move(bytes));
    } else {
      std::string bytes = codec_.encode(out.message, options_.max_sync_frame);
      const service::FaultVerdict v = fault({}, out.to);
      if (bytes.empty() || v.drop) continue;
      auto exchange = std::make_shared<SyncExchange>(*this, std::move(bytes));
      if (v.delay.count() == 0) {
        exchange->run(out.to);
      } else {
        auto timer = std::make_shared<asio::steady_timer>(strand_, v.delay);
        timer->async_wait([this, timer, exchange, to = out.to](std::error_code ec) {
          if (!ec && !stopped_) exchange->run(to);
        });
      }
    }
  }
  auto events = swim_->take_events();
  if (events.empty()) return;
  refresh_snapshot();
  if (listener_) {
    for (const auto& e : events) listener_(e);
  }
}

void GossipTransport::refresh_snapshot() {
  auto members = swim_->members();
  last_snapshot_ = now();
  std::lock_guard lock(mu_);
  snapshot_ = std::move(members);
}

std::optional<udp::endpoint> GossipTransport::resolve(const std::string& address) {
  if (auto it = endpoints_.find(address); it != endpoints_.end()) return it->second;
  auto hp = parse_host_port(address);
  if (!hp) return std::nullopt;
  std::error_code ec;
  udp::endpoint ep;
  const auto ip = asio::ip::make_address(hp->host, ec);
  if (!ec) {
    ep = udp::endpoint(ip, hp->port);
  } else {
    // A host name: resolved once (blocking) and cached; members advertise IPs in practice.
    udp::resolver resolver(io_);
    auto results = resolver.resolve(udp::v4(), hp->host, std::to_string(hp->port), ec);
    if (ec || results.empty()) return std::nullopt;
    ep = *results.begin();
  }
  if (endpoints_.size() > 4 * options_.config.max_members) endpoints_.clear();
  endpoints_.emplace(address, ep);
  return ep;
}

void GossipTransport::send_udp(const std::string& to, std::string bytes) {
  auto ep = resolve(to);
  if (!ep || stopped_) return;
  auto buf = std::make_shared<std::string>(std::move(bytes));
  const service::FaultVerdict v = fault({}, to);
  if (v.drop) return;
  if (v.delay.count() > 0) {
    auto timer = std::make_shared<asio::steady_timer>(strand_, v.delay);
    timer->async_wait([this, timer, buf, ep = *ep](std::error_code ec) {
      if (ec || stopped_) return;
      udp_.async_send_to(asio::buffer(*buf), ep, [buf](std::error_code, size_t) {});
    });
    return;
  }
  udp_.async_send_to(asio::buffer(*buf), *ep, [buf](std::error_code, size_t) {});
}

service::FaultVerdict GossipTransport::fault(std::string_view id, std::string_view address) const {
  if (options_.faults == nullptr) return {};
  return options_.faults->verdict(id, address);
}

void GossipTransport::deliver(std::string_view packet) {
  if (stopped_) return;
  auto decoded = codec_.decode(packet, options_.max_sync_frame);
  if (!decoded.message) return;
  if (fault(decoded.message->sender_id, decoded.message->sender_address).drop) return;
  swim_->receive(*decoded.message, now());
  flush();
}

std::optional<std::string> GossipTransport::answer(std::string_view packet) {
  if (stopped_) return std::nullopt;
  auto decoded = codec_.decode(packet, options_.max_sync_frame);
  if (!decoded.message) return std::nullopt;
  if (fault(decoded.message->sender_id, decoded.message->sender_address).drop) return std::nullopt;
  auto reply = swim_->answer_sync(*decoded.message, now());
  flush();
  if (!reply) return std::nullopt;
  std::string bytes = codec_.encode(*reply, options_.max_sync_frame);
  if (bytes.empty()) return std::nullopt;
  return bytes;
}

std::vector<membership::Member> GossipTransport::members() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

std::vector<membership::Member> GossipTransport::alive_members() const {
  std::vector<membership::Member> out;
  std::lock_guard lock(mu_);
  for (const auto& m : snapshot_) {
    if (m.live()) out.push_back(m);
  }
  return out;
}

std::string GossipTransport::address() const {
  std::lock_guard lock(mu_);
  return address_;
}

uint16_t GossipTransport::port() const {
  std::lock_guard lock(mu_);
  return port_;
}

}  // namespace drl::net
