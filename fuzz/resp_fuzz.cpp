// RESP2 requests as a node reads them on its Redis port (service/resp_parser.h), each parsed
// command interpreted by plan_resp_command (service/resp_commands.h), and each check it plans
// with a valid inline limit decided once and written back as a reply.
//
// Oracles: a parsed command consumed between 1 and all of the bytes and its arguments lie
// inside them; parsing is stateless, so the command's own bytes parse to the same command and
// any shorter prefix of them asks for more (never an error: a session re-parses as bytes
// trickle in); an error has a reason; every planned reply is non-empty RESP.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "limits/algorithm.h"
#include "limits/limit.h"
#include "service/resp_commands.h"
#include "service/resp_parser.h"

namespace {

using drl::service::RespParseStatus;

// Small limits, so short inputs reach the over-limit branches too.
constexpr drl::service::RespLimits kSmallLimits{64, 8, 64};

bool inside(std::string_view outer, std::string_view inner) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

void answer(const drl::service::RespPlan& plan, std::string& out) {
  using drl::service::RespVerb;
  if (plan.verb != RespVerb::kThrottle && plan.verb != RespVerb::kCheck) return;
  drl::service::CheckOutcome outcome;
  outcome.code = plan.call.code;
  const drl::TimePoint now = 1'700'000'000 * drl::kSecond;
  if (outcome.code == drl::service::CheckCode::kOk && plan.call.has_inline &&
      drl::limits::validate(plan.call.limit).empty()) {
    drl::limits::State state;
    drl::limits::SlidingLog log;
    outcome.decision = drl::limits::decide(plan.call.limit, state, &log, plan.call.request, now);
  } else if (outcome.code == drl::service::CheckCode::kOk) {
    outcome.code = drl::service::CheckCode::kUnknownPolicy;
    outcome.message = "no such policy";
  } else {
    outcome.message = std::string(plan.call.error);
  }
  out.clear();
  if (plan.verb == RespVerb::kThrottle) {
    drl::service::append_throttle_reply(out, outcome, now);
  } else {
    drl::service::append_check_reply(out, outcome, "node-a");
  }
  DRL_FUZZ_CHECK(!out.empty());
}

void check_one(std::string_view rest, const drl::service::RespLimits& limits) {
  std::vector<std::string_view> args;
  const auto result = drl::service::parse_resp_command(rest, args, limits);
  if (result.status == RespParseStatus::kError) {
    DRL_FUZZ_CHECK(!result.error.empty());
    return;
  }
  if (result.status == RespParseStatus::kNeedMore) return;
  DRL_FUZZ_CHECK(result.consumed > 0 && result.consumed <= rest.size());
  const std::string_view own = rest.substr(0, result.consumed);
  for (const auto arg : args) DRL_FUZZ_CHECK(inside(own, arg));
  std::vector<std::string_view> again;
  const auto alone = drl::service::parse_resp_command(own, again, limits);
  DRL_FUZZ_CHECK(alone.status == RespParseStatus::kCommand && alone.consumed == result.consumed);
  DRL_FUZZ_CHECK(again == args);
  // Every prefix of a command is incomplete, not an error; checked at a few cut points.
  for (size_t cut : {size_t{0}, own.size() / 2, own.size() - 1}) {
    std::vector<std::string_view> partial;
    const auto head = drl::service::parse_resp_command(own.substr(0, cut), partial, limits);
    DRL_FUZZ_CHECK(head.status == RespParseStatus::kNeedMore);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drl::fuzz::quiet_protobuf();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  check_one(rest, kSmallLimits);
  std::vector<std::string_view> args;
  std::string out;
  drl::service::RespConnection conn;
  while (!rest.empty()) {
    check_one(rest, drl::service::RespLimits{});
    const auto result = drl::service::parse_resp_command(rest, args);
    if (result.status != RespParseStatus::kCommand) break;
    if (!args.empty()) {
      out.clear();
      const auto plan = drl::service::plan_resp_command(args, conn, out);
      if (plan.verb == drl::service::RespVerb::kReplied ||
          plan.verb == drl::service::RespVerb::kQuit) {
        DRL_FUZZ_CHECK(!out.empty());
      }
      answer(plan, out);
    }
    rest.remove_prefix(result.consumed);
  }
  return 0;
}
