// One Redis-protocol (RESP2) client connection: parses pipelined commands, hands checks to
// the same CheckDecider as native sessions (so the cluster routes, forwards and replicates
// them alike), and writes replies in command order. Consecutive checks in one read are
// decided as one batch. Lives on one I/O thread (its socket's io_context); every member is
// touched only there. Owned by shared_ptr: pending reads, writes, timers and decider
// completions keep it alive.
#pragma once
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "net/client_session.h"
#include "net/frame_watchdog.h"
#include "net/session_end.h"
#include "net/write_queue.h"
#include "service/check_decider.h"
#include "service/client_auth.h"
#include "service/resp_commands.h"
#include "service/resp_parser.h"
#include "service/server_stats.h"
#include "tls/stream.h"

namespace drl::net {

struct RespSessionLimits {
  service::RespLimits parser;
  size_t max_input_bytes = 1u << 20;     // bytes buffered for one incomplete command
  size_t max_pending_output = 4u << 20;  // stop reading while this much is unwritten
  size_t max_batch = 1024;               // checks handed to the decider in one call
  // Deadline of every check, counted from when its bytes were read (RESP carries none).
  std::chrono::milliseconds default_timeout{1000};
  // A command begun must be complete within this (slowloris defence; 0 = no limit).
  std::chrono::milliseconds frame_timeout{5'000};
  std::chrono::milliseconds idle_timeout{300'000};
};

// What a RESP session needs from the node. All members outlive every session.
struct RespServices {
  service::CheckDecider* decider = nullptr;
  std::function<void(wire::StatusResponse&)> status;  // called on the session's thread
  const Clock* clock = nullptr;                       // for reset_after; null: system clock
  std::string node_id;
  // Client tokens (--client-tokens-file); null = no AUTH required. When set, `AUTH token`
  // (or `AUTH name token`) must come first: other commands get NOAUTH, a wrong token
  // WRONGPASS and the connection is closed.
  const service::ClientAuth* auth = nullptr;
  // Overload control shared with native sessions; null: every batch is decided. Each batch
  // of checks is one admission; shed checks get an OVERLOADED error reply.
  service::RequestGate* gate = nullptr;
};

class RespSession : public std::enable_shared_from_this<RespSession>,
                    public SessionEnd::Session,
                    private FrameWatchdog::Session {
 public:
  // A TLS `stream` has finished its handshake.
  RespSession(asio::io_context& io, tls::Stream stream, const RespSessionLimits& limits,
              const RespServices& services, service::ServerStatsShard& stats);
  ~RespSession();
  void start();

 private:
  enum class Pending : uint8_t { kThrottle, kCheck };

  void read_more();
  void process_input();
  // Handles one non-empty command; false when it must wait for a batch decided elsewhere.
  bool handle_command(std::span<const std::string_view> args);
  void dispatch_batch();
  void on_outcomes(std::span<const service::CheckOutcome> outcomes);
  void protocol_error(std::string_view why);
  void flush();
  std::chrono::steady_clock::time_point last_activity() const override { return last_activity_; }
  bool in_flight() const override { return waiting_ || out_.writing(); }
  // AUTH, and refusal of everything else until it succeeded; false: not an AUTH matter.
  bool auth_command(std::span<const std::string_view> args);
  bool watchdog_closed() const override { return end_.closed(); }
  bool watchdog_has_input() const override { return in_len_ > 0; }
  bool watchdog_reading() const override { return reading_; }
  void watchdog_expired() override;
  bool can_read() const;
  TimePoint now() const;

  asio::io_context& io_;
  tls::Stream stream_;
  const RespSessionLimits& limits_;
  const RespServices& services_;
  service::ServerStatsShard& stats_;

  std::string in_;
  size_t in_len_ = 0;
  WriteQueue out_;
  bool reading_ = false;
  bool closing_ = false;   // write what is queued, then close
  bool waiting_ = false;   // a batch is with the decider; replies after it must wait
  bool deciding_ = false;  // inside decider->decide() on this thread

  bool authenticated_ = false;  // set in the constructor when no token is required
  FrameWatchdog watchdog_;      // a command begun must be whole within frame_timeout
  SessionEnd end_;              // shut() and the idle timer
  std::chrono::steady_clock::time_point opened_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point batch_start_;
  std::chrono::steady_clock::time_point read_at_;  // when the bytes in in_ arrived (latest)

  // Reused across commands so steady-state traffic allocates little.
  std::vector<std::string_view> args_;
  std::vector<service::CheckCall> calls_;
  std::vector<Pending> kinds_;
  std::vector<service::CheckOutcome> shed_;
  wire::StatusResponse status_;
  service::RespConnection conn_;  // CLIENT / HELLO state of this connection
};

}  // namespace drl::net
