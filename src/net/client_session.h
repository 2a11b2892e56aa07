// One client connection: reads frames, hands checks to the CheckDecider, writes responses.
// Lives on one I/O thread (its socket's io_context); every member is touched only there.
// Owned by shared_ptr: pending reads, writes, timers and decider completions keep it alive.
#pragma once
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <google/protobuf/arena.h>

#include "common/clock.h"
#include "drl/client.pb.h"
#include "net/dated_receive.h"
#include "net/frame_watchdog.h"
#include "net/session_end.h"
#include "net/write_queue.h"
#include "service/check_decider.h"
#include "service/client_auth.h"
#include "service/request_gate.h"
#include "service/server_stats.h"
#include "tls/stream.h"

namespace drl::net {

struct SessionLimits {
  uint32_t max_frame_bytes = 1u << 20;
  uint32_t max_outstanding = 1024;       // requests decided but not yet written
  size_t max_pending_output = 4u << 20;  // bytes queued for the socket
  std::chrono::milliseconds idle_timeout{300'000};
  // A frame begun must be complete within this (slowloris defence; 0 = no limit).
  std::chrono::milliseconds frame_timeout{5'000};
  // Deadline of a request that carries no timeout_ms; requests may ask for at most max.
  std::chrono::milliseconds default_timeout{1000};
  std::chrono::milliseconds max_timeout{60'000};
  // Longest a session works through its input before it lets the thread's other
  // connections take a turn (it continues after them). Bounds how long a request waits
  // unread in another connection's socket while this one is busy (0 = no limit).
  std::chrono::microseconds turn_budget{250};
};

// What a session needs from the node. All members outlive every session.
struct SessionServices {
  service::CheckDecider* decider = nullptr;
  service::RequestGate* gate = nullptr;  // null: every request is decided
  // The clock of all-or-nothing requests (service/all_or_nothing.h); null: the system's.
  const Clock* clock = nullptr;
  std::function<void(wire::StatusResponse&)> status;  // called on the session's thread
  // Client tokens (--client-tokens-file); null = no token required.
  const service::ClientAuth* auth = nullptr;
  // Test-only admin requests (--enable-test-hooks); null = refused with ADMIN_REFUSED.
  // Returns "" and fills the response, or says why the request was refused. Thread-safe.
  std::function<std::string(const wire::AdminRequest&, wire::AdminResponse&)> admin;
  // Fills a RingResponse for a client that holds the ring of `known_epoch`; null: answered
  // with an empty ring (epoch 0). Thread-safe.
  std::function<void(uint64_t known_epoch, wire::RingResponse&)> ring;
  // Shows or pushes the cluster's policy set; returns "" or why a push is refused
  // (POLICY_REFUSED). Null: answered as an empty set. Called on the session's thread (it
  // may wait a moment for the cluster thread).
  std::function<std::string(const wire::PolicyRequest&, wire::PolicyResponse&)> policy;
  // The node's current ring epoch, sent in every response (0: none, left out); null: none.
  const std::atomic<uint64_t>* ring_epoch = nullptr;
  std::string node_id;
};

class ClientSession : public std::enable_shared_from_this<ClientSession>,
                      public SessionEnd::Session,
                      private FrameWatchdog::Session {
 public:
  // `prefix` holds bytes already read from the stream (the listener's first word).
  // `io` is the context that owns `stream`; a TLS stream has finished its handshake.
  ClientSession(asio::io_context& io, tls::Stream stream, std::span<const uint8_t> prefix,
                const SessionLimits& limits, const SessionServices& services,
                service::ServerStatsShard& stats);
  ~ClientSession();
  void start();

 private:
  void read_more();
  void on_received(const DatedReceive& r, size_t space);
  void read_tls(std::span<uint8_t> buffer);
  void process_input();
  // The date of the read that completed the frame ending at `end`; `superseded` is set when
  // a later read has brought more bytes since.
  std::chrono::steady_clock::time_point date_of_frame_ending_at(size_t end, bool& superseded) const;
  void compact_input();              // drops handled bytes from in_ unless a read is filling it
  bool whole_frame_waiting() const;  // in_ holds a frame not handled yet
  bool handle_frame(std::span<const uint8_t> payload);  // false: stop reading
  // A check request's fields beside its checks, which are in calls_ (decoded unless there
  // are more than kMaxChecksPerRequest).
  struct CheckHead {
    uint64_t id = 0;
    uint32_t timeout_ms = 0;
    bool all_or_nothing = false;
    size_t checks = 0;
  };
  void handle_check(const CheckHead& head, std::chrono::steady_clock::time_point start);
  void on_outcomes(uint64_t id, std::chrono::steady_clock::time_point start,
                   std::span<const service::CheckOutcome> outcomes);
  void send_error(uint64_t id, wire::ErrorCode code, std::string_view message, bool closing);
  void append_response(uint64_t id, int field, const google::protobuf::MessageLite& body);
  // One frame: Response{id, <field> = a body of body_size bytes that write_body(char*) writes}.
  template <typename WriteBody>
  void append_envelope(uint64_t id, int field, size_t body_size, WriteBody&& write_body);
  void flush();
  std::chrono::steady_clock::time_point last_activity() const override { return last_activity_; }
  bool in_flight() const override { return outstanding_ > 0 || out_.writing(); }
  bool watchdog_closed() const override { return end_.closed(); }
  bool watchdog_has_input() const override { return in_len_ > in_begin_; }
  bool watchdog_reading() const override { return reading_; }
  void watchdog_expired() override;
  bool refuse_unauthenticated(uint64_t id, std::string_view token);
  bool can_read() const;

  asio::io_context& io_;
  // Plain reads are dated by the kernel (dated_receive.h); TLS reads by when they were made.
  tls::Stream stream_;
  const SessionLimits& limits_;
  const SessionServices& services_;
  service::ServerStatsShard& stats_;

  std::vector<uint8_t> in_;
  size_t in_len_ = 0;    // bytes in in_
  size_t in_begin_ = 0;  // in_[0, in_begin_) is handled, kept until compact_input()
  WriteQueue out_;
  bool reading_ = false;
  bool closing_ = false;  // write what is queued, then close
  // The client shut its write side: read no more, answer every request already read
  // (forwarded ones included), then close.
  bool input_ended_ = false;
  uint32_t outstanding_ = 0;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point read_at_;  // when the bytes in in_ arrived (latest)
  // When each read's bytes arrived, as far as admission can tell: the earliest of the
  // kernel's date of the newest of them, the read's time less the thread's loop lag, and,
  // when the read before it filled the buffer (the socket was not drained), that earlier
  // read's time, since the bytes left in the kernel were waiting by then. One entry per read whose
  // bytes are still in in_, oldest first: `end` is the offset in in_ just past that read's bytes. A
  // frame is dated by the read that completed it, so a frame left over from an earlier turn keeps
  // its own, older, date.
  struct ReadDate {
    size_t end;
    std::chrono::steady_clock::time_point arrived;
  };
  std::vector<ReadDate> read_dates_;
  std::chrono::steady_clock::time_point arrived_at_;  // the frame being handled
  bool superseded_ = false;  // the frame being handled came before the latest read
  bool last_read_filled_ = false;
  bool turn_posted_ = false;  // a continuation of process_input() waits behind other sessions

  FrameWatchdog watchdog_;  // a frame begun must be whole within frame_timeout
  SessionEnd end_;          // shut() and the idle timer

  // Reused for every request, so steady-state traffic allocates nothing per check: each
  // request is parsed into an arena over a block the session owns, reset per frame.
  std::unique_ptr<char[]> arena_block_;
  google::protobuf::Arena arena_;
  wire::Request* request_ = nullptr;
  std::vector<service::CheckCall> calls_;
  std::vector<service::CheckOutcome> shed_;
};

}  // namespace drl::net
