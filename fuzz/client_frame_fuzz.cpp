// Client frames as a node reads them off a socket: a stream of length-prefixed frames, each
// parsed as a drl.wire.Request, each check converted to the engine's types (wire_convert.h),
// and each inline limit that passes validate() decided once on a fresh state.
//
// Oracles: next_frame never consumes more than it was given and agrees with the length word;
// a check the decoder accepts has a key of 1..4096 bytes, a cost <= 2^32-1 and a policy or
// an inline limit; a parsed request re-encodes into one frame that parses back; what the
// native door's scanner (check_request_scan.h) accepts, protobuf parses as a check request
// with the same id, timeout, token and number of checks.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "drl/client.pb.h"
#include "fuzz_check.h"
#include "limits/algorithm.h"
#include "limits/limit.h"
#include "service/check_decider.h"
#include "service/check_request_scan.h"
#include "service/check_validator.h"
#include "service/frame.h"
#include "service/wire_convert.h"

namespace {

using drl::service::CheckCall;
using drl::service::CheckCode;
using drl::service::FrameStatus;

// Small enough that the fuzzer reaches the too-large branch with short inputs.
constexpr uint32_t kFuzzMaxFrameBytes = 4096;

void decide_inline(const CheckCall& call) {
  if (!call.has_inline || call.code != CheckCode::kOk) return;
  if (!drl::limits::validate(call.limit).empty()) return;
  drl::limits::State state;
  drl::limits::SlidingLog log;
  const drl::TimePoint now = 1'700'000'000 * drl::kSecond;
  for (int i = 0; i < 2; ++i) {
    const auto decision = drl::limits::decide(call.limit, state, &log, call.request, now);
    DRL_FUZZ_CHECK(decision.remaining <= decision.limit);
    DRL_FUZZ_CHECK(log.size() <= call.limit.limit);
  }
}

void handle_payload(std::span<const uint8_t> payload) {
  drl::service::ScannedCheckRequest scanned;
  std::vector<CheckCall> scanned_calls;
  const bool scanned_ok = drl::service::scan_check_request(
      {reinterpret_cast<const char*>(payload.data()), payload.size()}, scanned, scanned_calls);
  drl::wire::Request request;
  if (!request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    DRL_FUZZ_CHECK(!scanned_ok);
    return;
  }
  if (scanned_ok) {
    DRL_FUZZ_CHECK(request.body_case() == drl::wire::Request::kCheck);
    DRL_FUZZ_CHECK(scanned.id == request.id() && scanned.timeout_ms == request.timeout_ms());
    DRL_FUZZ_CHECK(scanned.auth_token == request.auth_token());
    DRL_FUZZ_CHECK(scanned.all_or_nothing == request.check().all_or_nothing());
    DRL_FUZZ_CHECK(scanned.checks == static_cast<size_t>(request.check().checks_size()));
    DRL_FUZZ_CHECK(scanned_calls.size() == scanned.checks);
  }
  if (request.body_case() == drl::wire::Request::kCheck) {
    const auto& checks = request.check().checks();
    for (int i = 0; i < checks.size() && i < static_cast<int>(drl::service::kMaxChecksPerRequest);
         ++i) {
      CheckCall call;
      drl::service::decode_check(checks[i], call);
      const drl::Status valid = drl::service::validate_check(call);
      if (valid) {
        DRL_FUZZ_CHECK(!call.key.empty() && call.key.size() <= drl::service::kMaxKeyBytes);
        DRL_FUZZ_CHECK(call.request.cost <= drl::limits::kMaxCount);
        DRL_FUZZ_CHECK(!call.has_inline || drl::limits::validate(call.limit).empty());
      } else {
        DRL_FUZZ_CHECK(!valid.message().empty());
      }
      decide_inline(call);
    }
  }
  // What the server parsed, it can frame again, and the frame reads back whole.
  std::string out;
  if (drl::service::append_frame(out, request, kFuzzMaxFrameBytes)) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(out.data());
    const auto view = drl::service::next_frame({bytes, out.size()}, kFuzzMaxFrameBytes);
    DRL_FUZZ_CHECK(view.status == FrameStatus::kComplete && view.consumed == out.size());
    drl::wire::Request again;
    DRL_FUZZ_CHECK(
        again.ParseFromArray(view.payload.data(), static_cast<int>(view.payload.size())));
    DRL_FUZZ_CHECK(again.ByteSizeLong() == request.ByteSizeLong());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drl::fuzz::quiet_protobuf();
  std::span<const uint8_t> rest(data, size);
  while (!rest.empty()) {
    const auto view = drl::service::next_frame(rest, kFuzzMaxFrameBytes);
    if (rest.size() >= drl::service::kFrameHeaderBytes) {
      DRL_FUZZ_CHECK(view.announced == drl::service::read_be32(rest.data()));
    }
    if (view.status != FrameStatus::kComplete) {
      DRL_FUZZ_CHECK(view.consumed == 0);
      DRL_FUZZ_CHECK((view.status == FrameStatus::kTooLarge) ==
                     (view.announced > kFuzzMaxFrameBytes));
      break;
    }
    DRL_FUZZ_CHECK(view.consumed == drl::service::kFrameHeaderBytes + view.payload.size());
    DRL_FUZZ_CHECK(view.consumed <= rest.size() && view.payload.size() == view.announced);
    DRL_FUZZ_CHECK(view.payload.data() == rest.data() + drl::service::kFrameHeaderBytes);
    handle_payload(view.payload);
    rest = rest.subspan(view.consumed);
  }
  return 0;
}
