// What each RESP command means to drl, as pure functions: turning a parsed command into an
// immediate reply or a CheckCall, and turning a CheckOutcome or a node status into a reply.
// No I/O and no clock: the session passes the time a reply is relative to. Thread-safe.
//
// Commands: CL.THROTTLE (redis-cell compatible), DRL.CHECK (a named policy), PING, ECHO,
// INFO, QUIT, COMMAND and CONFIG (empty answers, for redis-cli and redis-benchmark).
// docs/protocol.md, "Redis protocol (RESP)", is the user-facing description.
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "common/time.h"
#include "drl/client.pb.h"
#include "net/check_decider.h"

namespace drl::net {

enum class RespVerb {
  kReplied,   // the reply is already in `out`
  kQuit,      // the reply (+OK) is in `out`; close once it is written
  kInfo,      // reply with append_info(); `section` says which (empty: all)
  kThrottle,  // decide `call`, then append_throttle_reply()
  kCheck,     // decide `call`, then append_check_reply()
};

struct RespPlan {
  RespVerb verb = RespVerb::kReplied;
  CheckCall call;            // kThrottle and kCheck; views borrow the command's arguments
  std::string_view section;  // kInfo
};

// Interprets one command (args[0] is its name, any case; args is not empty). Errors
// (unknown command, wrong arity, bad integers) are replied here as RESP errors.
RespPlan plan_resp_command(std::span<const std::string_view> args, std::string& out);

// redis-cell's reply: [limited, limit, remaining, retry_after_s (-1 when allowed or never),
// reset_after_s], seconds truncated as redis-cell does. `now` is the time the check was
// sent (reset_after = decision.reset_at - now). An outcome that is not kOk is an error reply:
// `-OVERLOADED ... (retry_after_ms N)` when shed by overload control, `-ERR ...` otherwise.
void append_throttle_reply(std::string& out, const CheckOutcome& outcome, TimePoint now);

// The native CheckResult's fields as a flat name/value array (like HGETALL).
void append_check_reply(std::string& out, const CheckOutcome& outcome, std::string_view node_id);

// Redis-style INFO text (`# Section` headers, `name:value` lines) as one bulk string.
// Fields of `status` this code does not know (the cluster's) go under `# Cluster`.
void append_info(std::string& out, const wire::StatusResponse& status, std::string_view section);

}  // namespace drl::net
