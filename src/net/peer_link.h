// Peer links: the persistent TCP connections cluster nodes use to forward checks, answer them
// and ship replicas. Bytes only: what a payload means (a drl.v1.PeerMessage) is the node's
// business, so this layer does not depend on the cluster layer.
//
// Lanes: a node keeps two connections to each peer. The main lane ("DRLP") carries everything;
// the check lane ("DRLL") carries forwarded checks and their answers, which may leave on
// either lane (they need no order between them), so a check need not wait behind a lost
// segment of the other lane (ClusterDecider::send picks the lane). A node whose listener does
// not know "DRLL" (an older build) closes such connections at once: the sender then keeps to
// the main lane (PeerLink::settled).
//
// Wire: the connecting side writes the magic ("DRLP" or "DRLL"), then (with TLS,
// PeerLinkOptions::tls) runs a TLS handshake as the client, both sides presenting their node
// certificate and verifying the other's against the cluster's CA (mutual TLS; no host name is
// checked: the CA is the cluster's identity), then frames, inside TLS when it is on. A frame is a
// 4-byte big-endian length and a body; the body is the payload, or with a cluster key ring the
// payload sealed by membership::Sealer (a 24-byte nonce, the encrypted payload, a 16-byte tag). The
// first frame is a hello whose payload is the sender's member id (then '\0' and its address); every
// later frame is one message. Each connection carries traffic one way: a node answers over its own
// link to the sender.
//
// Threads: a PeerLink and the PeerServer (peer_server.h) live on one io_context that a single
// thread runs; every method is called on that thread. PeerStats counters are atomics that
// any thread may read.
#pragma once
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "membership/sealer.h"
#include "service/peer_fault_filter.h"
#include "tls/stream.h"
#include "tls/tls_context.h"

namespace drl::net {

enum class PeerLane { kMain, kChecks };

struct PeerLinkOptions {
  // Seals every frame (shared with gossip; its ring may be swapped); none: frames are plain.
  std::shared_ptr<const membership::Sealer> sealer;
  size_t max_queued_frames = 16384;           // per link; beyond this frames are dropped
  uint32_t max_frame_bytes = 64u << 20;       // frames announcing more close the connection
  std::chrono::milliseconds backoff_min{20};  // reconnect delay, doubling up to backoff_max
  std::chrono::milliseconds backoff_max{1000};
  // How long sent bytes may stay unacknowledged (and a connect unanswered) before the kernel
  // breaks the connection (TCP_USER_TIMEOUT; 0 = the kernel's default, minutes). A link whose
  // packets are silently dropped (a partition, a firewall) then fails and reconnects with
  // backoff, so it carries traffic again within about a second of the heal instead of after
  // the next exponentially backed-off retransmission, seconds later.
  std::chrono::milliseconds unacked_timeout{2000};
  // TCP's minimum retransmission timeout on peer connections, both ends (net/peer_socket.h;
  // 0 = the kernel's, 200 ms): a lost segment stalls a link about this long, not 200 ms.
  std::chrono::microseconds rto_min{10000};
  // A loss probe: on a link marked lossy (set_lossy), when data written this long ago is
  // still unacknowledged and nothing else was written since, the link writes `probe_payload`
  // (a message the receiver ignores). A segment after a lost one makes the receiver report
  // the gap at once (SACK), so TCP resends the lost one within a round trip (RACK) instead of
  // after its retransmission timer, 8-16 ms at the kernel's 4 ms tick. Empty payload or
  // zero delay: no probes.
  std::string probe_payload;
  std::chrono::microseconds probe_delay{1500};
  // The host this node listens on. When it is a specific address (not empty, 0.0.0.0 or ::),
  // links bind their local end to it (port 0) before connecting, so peers and firewalls see
  // the node's traffic come from its own address (net/source_address.h).
  std::string source_host;
  // Test-only (--enable-test-hooks): frames to or from a faulty peer are dropped or held.
  // Not owned; outlives every link and the server. Links match it by address, the server
  // by the sender's id and address.
  const service::PeerFaultFilter* faults = nullptr;
  // Mutual TLS on every link, with the node's current contexts (not owned; outlives every
  // link and the server); null: plain.
  const tls::NodeContexts* tls = nullptr;
};

struct PeerStats {
  std::atomic<uint64_t> frames_sent{0};
  std::atomic<uint64_t> frames_received{0};
  std::atomic<uint64_t> queue_drops{0};       // frames dropped because a send queue was full
  std::atomic<uint64_t> auth_failures{0};     // frames whose tag did not verify
  std::atomic<uint64_t> malformed_frames{0};  // too large, no hello, or unparsable payload
  std::atomic<uint64_t> connects{0};
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> disconnects{0};
  std::atomic<uint64_t> fault_drops{0};  // frames dropped by an injected fault (test hooks)
  // Incoming connections closed because the same peer connected again (it gave them up).
  std::atomic<uint64_t> replaced_connections{0};
  std::atomic<uint64_t> loss_probes{0};  // probe frames written (PeerLinkOptions::probe_payload)
  // TLS handshakes that failed, either side (a certificate from another CA, none, ...).
  std::atomic<uint64_t> tls_failures{0};
};

// A whole frame (length word included) carrying `payload`, sealed when `sealer` is set.
std::string seal_peer_frame(std::string_view payload, const membership::Sealer* sealer);
// Opens a frame body (length word excluded), in place. On success sets `payload` (a view into
// `body`) and returns true; false when no key of the ring opens it.
bool open_peer_frame(std::span<char> body, const membership::Sealer* sealer,
                     std::string_view& payload);

// The outgoing connection to one peer. Connects lazily on the first send, reconnects with
// exponential backoff, keeps frames queued (bounded) while disconnected. Owned through a
// shared_ptr by its user; pending handlers keep it alive until close() has taken effect.
class PeerLink : public std::enable_shared_from_this<PeerLink> {
 public:
  // `hello` is the first frame's payload: this node's member id, then optionally '\0' and the
  // address it listens on.
  PeerLink(asio::io_context& io, std::string hello, std::string address,
           const PeerLinkOptions& options, PeerStats& stats, PeerLane lane = PeerLane::kMain);
  void send(std::string_view payload);
  // Stops reconnecting and drops the queue. The link may then be released.
  void close();
  const std::string& address() const { return address_; }
  bool connected() const { return state_ == State::kConnected; }
  // Segments TCP has retransmitted on the current connection so far (TCP_INFO's
  // tcpi_total_retrans; 0 while not connected, and it starts again from 0 on each new
  // connection): a rising count says the link loses packets.
  uint32_t retransmits() const;
  // Segments retransmitted since the last call (on this or an earlier connection).
  uint32_t take_new_retransmits();
  // Connects now if idle (a link otherwise connects on its first send).
  void open();
  // Lossy links get loss probes (PeerLinkOptions::probe_payload); others none.
  void set_lossy(bool lossy);
  // Connected for at least `for_at_least` (a peer that refuses the lane closes it at once).
  bool settled(std::chrono::steady_clock::duration for_at_least) const;
  // TCP is recovering a lost segment on this connection (TCP_INFO's ca_state is Recovery or
  // Loss): what is written now waits for the retransmission. False when not connected.
  bool recovering() const;

 private:
  enum class State { kIdle, kConnecting, kConnected, kWaiting, kClosed };
  void enqueue(std::string_view payload);
  void connect();
  void on_connected();
  void start_tls();  // after the magic: the client handshake, then on_connected()
  const char* lane_magic() const { return lane_ == PeerLane::kChecks ? "DRLL" : "DRLP"; }
  void write_more();
  void watch_close();
  void fail(const std::error_code& ec);
  void arm_probe();
  void on_probe_timer(uint64_t write_seq);
  uint32_t unacked_segments() const;

  asio::io_context& io_;
  std::string self_id_, address_;
  PeerLane lane_;
  std::chrono::steady_clock::time_point connected_at_{};
  const PeerLinkOptions& options_;
  PeerStats& stats_;
  State state_ = State::kIdle;
  tls::Stream stream_;
  asio::steady_timer retry_timer_;
  std::chrono::milliseconds backoff_;
  uint64_t generation_ = 0;              // bumped per connection; stale handlers compare it
  uint64_t retransmits_generation_ = 0;  // the connection retransmits_seen_ was read from
  uint32_t retransmits_seen_ = 0;
  std::string pending_, inflight_;
  size_t pending_frames_ = 0;
  bool writing_ = false;
  char probe_byte_ = 0;
  asio::steady_timer probe_timer_;
  bool lossy_ = false;
  bool probe_inflight_ = false;  // the write in progress carries only a probe
  uint64_t write_seq_ = 0;       // writes started; a probe is due only if none since arming
  bool tls_warned_ = false;      // a failed handshake was logged; the next success says so
};

}  // namespace drl::net
