// The asio shell around membership::Swim: a UDP socket for probes and gossip, a timer that
// drives Swim::tick(), and TCP push/pull ("sync") exchanges.
//
// Port sharing: a node uses ONE port number for client TCP, peer TCP and gossip UDP. This
// class binds the UDP socket; the node's TCP acceptor (owned by src/node) reads the first 4
// bytes of each connection and, when they are kGossipSyncMagic ("DRLG"), hands the socket to
// accept_sync(). An outgoing sync connects to the member's address, writes "DRLG", then one
// frame (4-byte big-endian length + codec packet) and reads one reply frame. A client frame
// starts with a length <= 1 MiB, so it can never begin with the magic.
//
// Threads: all protocol work runs on an internal strand of `io`, so io.run() may be called
// from several threads. members(), alive_members(), address(), port() and codec_stats() are
// thread-safe. start(), stop() and leave() may be called from any thread.
// Lifetime: the io_context must outlive this object, and this object must outlive every
// handler it queued: call stop(), then let io.run() return (or stop the io_context) before
// destroying it. The listener runs on the strand; it may call the thread-safe getters.
#pragma once
#include <array>
#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "membership/gossip_codec.h"
#include "membership/swim.h"
#include "service/peer_fault_filter.h"

namespace drl::net {

inline constexpr char kGossipSyncMagic[4] = {'D', 'R', 'L', 'G'};

struct GossipTransportOptions {
  membership::Config config;
  // Seals every packet and sync frame (--cluster-key-file); null = plain.
  std::shared_ptr<const membership::Sealer> sealer;
  uint64_t seed = 0;                          // for the protocol's Random; 0 = random_device
  Nanos tick_interval = 20 * kMillisecond;
  Nanos sync_timeout = 5 * kSecond;
  uint32_t max_sync_frame = 1u << 20;  // push/pull frames, bytes
  // The host the node listens on. When it is a specific address (not empty, 0.0.0.0 or ::),
  // the UDP socket binds to it and outgoing sync connections leave from it, so every packet
  // of this node carries its own address (net/source_address.h); else UDP binds 0.0.0.0.
  std::string bind_host;
  // Test-only (--enable-test-hooks): datagrams and sync exchanges to or from a faulty peer are
  // dropped or delayed (incoming sync exchanges are only dropped). Not owned; outlives this.
  const service::PeerFaultFilter* faults = nullptr;
};

class GossipTransport {
 public:
  using Listener = std::function<void(const membership::MembershipEvent&)>;

  // `self.address` is the advertised host:port; if its port is 0 (tests binding port 0) it is
  // replaced by the bound UDP port at start().
  GossipTransport(asio::io_context& io, uint16_t port, membership::MemberInfo self,
                  GossipTransportOptions options = {});
  ~GossipTransport();
  GossipTransport(const GossipTransport&) = delete;
  GossipTransport& operator=(const GossipTransport&) = delete;

  // Set before start(); called on the strand for every membership change.
  void set_listener(Listener listener) { listener_ = std::move(listener); }
  // Binds UDP on the port and joins through `seeds` (host:port; empty = found a cluster).
  // Returns an empty string on success, else a message saying what failed.
  std::string start(std::vector<std::string> seeds);
  // Announces departure (leave) and then stops. Both return at once; work happens on the strand.
  void leave();
  void stop();
  // A TCP connection whose first 4 bytes were kGossipSyncMagic (already consumed).
  void accept_sync(asio::ip::tcp::socket socket);

  std::vector<membership::Member> members() const;
  std::vector<membership::Member> alive_members() const;  // alive or suspect, sorted by id
  std::string address() const;
  uint16_t port() const;
  membership::CodecStats codec_stats() const { return codec_.stats(); }

 private:
  class SyncExchange;
  class SyncSession;

  TimePoint now() const { return clock_.now(); }
  void receive_next();
  void on_datagram(size_t n);  // recv_buf_ holds a datagram of n bytes; strand only
  void schedule_tick();
  void flush();  // drains Swim's outbox and events; strand only
  void refresh_snapshot();
  void send_udp(const std::string& to, std::string bytes);
  std::optional<asio::ip::udp::endpoint> resolve(const std::string& address);
  // Test hooks: the verdict for traffic with a peer; pass when no filter is set.
  service::FaultVerdict fault(std::string_view id, std::string_view address) const;
  void deliver(std::string_view packet);                       // a sync reply; strand only
  std::optional<std::string> answer(std::string_view packet);  // a sync request; strand only

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  uint16_t requested_port_;
  membership::MemberInfo self_;
  GossipTransportOptions options_;
  SystemClock clock_;
  Random random_;
  membership::GossipCodec codec_;
  asio::ip::udp::socket udp_;
  asio::steady_timer timer_;
  std::array<char, 65536> recv_buf_{};
  asio::ip::udp::endpoint recv_from_;
  std::unique_ptr<membership::Swim> swim_;                    // strand only
  std::map<std::string, asio::ip::udp::endpoint> endpoints_;  // strand only
  Listener listener_;
  bool stopped_ = false;  // strand only
  TimePoint last_snapshot_ = 0;

  mutable std::mutex mu_;
  std::vector<membership::Member> snapshot_;  // guarded by mu_
  std::string address_;                       // guarded by mu_
  uint16_t port_ = 0;                         // guarded by mu_
};

}  // namespace drl::net
