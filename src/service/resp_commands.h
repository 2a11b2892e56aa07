// What each RESP command means to drl, as pure functions: turning a parsed command into an
// immediate reply or a CheckCall, and turning a CheckOutcome or a node status into a reply.
// No I/O and no clock: the session passes the time a reply is relative to. Thread-safe.
//
// Commands: CL.THROTTLE (redis-cell compatible), DRL.CHECK (a named policy), PING, ECHO,
// INFO, QUIT, COMMAND and CONFIG (empty answers, for redis-cli and redis-benchmark), and what
// client libraries send on connect and in pools: HELLO (RESP2 only), CLIENT ID / SETNAME /
// GETNAME / INFO / SETINFO, SELECT 0.
// docs/protocol.md, "Redis protocol (RESP)", is the user-facing description.
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "common/time.h"
#include "drl/client.pb.h"
#include "service/check_decider.h"

namespace drl::service {

enum class RespVerb {
  kReplied,   // the reply is already in `out`
  kQuit,      // the reply (+OK) is in `out`; close once it is written
  kInfo,      // reply with append_info(); `section` says which (empty: all)
  kThrottle,  // decide `call`, then append_throttle_reply()
  kCheck,     // decide `call`, then append_check_reply()
};

// The Redis version the door answers as (INFO's redis_version, HELLO's version): clients
// pick the commands they send by it, and drl answers those of this version it lists above.
inline constexpr std::string_view kRedisCompatVersion = "7.2.0";

// What one connection has said about itself (CLIENT SETNAME, SETINFO), and what the session
// knows of it, for CLIENT and HELLO replies. Owned by the session; the planner updates it.
struct RespConnection {
  uint64_t id = 0;          // CLIENT ID: unique among the node's RESP connections
  std::string address;      // the client's host:port (CLIENT INFO addr=)
  std::string local;        // the node's host:port (laddr=)
  int64_t age_seconds = 0;  // since the connection opened, as of the command being planned
  std::string name;         // CLIENT SETNAME
  std::string lib_name;     // CLIENT SETINFO LIB-NAME
  std::string lib_version;  // CLIENT SETINFO LIB-VER
};

struct RespPlan {
  RespVerb verb = RespVerb::kReplied;
  CheckCall call;            // kThrottle and kCheck; views borrow the command's arguments
  std::string_view section;  // kInfo
};

// Interprets one command (args[0] is its name, any case; args is not empty). Errors
// (unknown command, wrong arity, bad integers) are replied here as RESP errors.
// Connection commands (CLIENT, HELLO) read and update `conn`.
RespPlan plan_resp_command(std::span<const std::string_view> args, RespConnection& conn,
                           std::string& out);

// redis-cell's reply: [limited, limit, remaining, retry_after_s (-1 when allowed or never),
// reset_after_s], seconds rounded up as redis-cell does (up when the fraction is 1 ms or
// more). `now` is the time of the reply (reset_after = decision.reset_at - now). An
// outcome that is not kOk is an error reply: `-OVERLOADED ... (retry_after_ms N)` when shed
// by overload control, `-ERR ...` otherwise.
void append_throttle_reply(std::string& out, const CheckOutcome& outcome, TimePoint now);

// The native CheckResult's fields as a flat name/value array (like HGETALL).
void append_check_reply(std::string& out, const CheckOutcome& outcome, std::string_view node_id);

// Redis-style INFO text (`# Section` headers, `name:value` lines) as one bulk string.
// Fields of `status` this code does not know (the cluster's) go under `# Cluster`.
void append_info(std::string& out, const wire::StatusResponse& status, std::string_view section);

}  // namespace drl::service
