#include "service/check_request_scan.h"

#include <limits>

#include "common/wire_format.h"
#include "drl/client.pb.h"
#include "service/wire_convert.h"

namespace drl::service {
namespace {

using protowire::Field;
using protowire::Reader;

// Field numbers, from the generated classes: a renumbered field fails to compile here
// rather than to read.
constexpr uint32_t kRequestId = wire::Request::kIdFieldNumber;
constexpr uint32_t kRequestCheck = wire::Request::kCheckFieldNumber;
constexpr uint32_t kRequestTimeout = wire::Request::kTimeoutMsFieldNumber;
constexpr uint32_t kRequestToken = wire::Request::kAuthTokenFieldNumber;
constexpr uint32_t kChecks = wire::CheckRequest::kChecksFieldNumber;
constexpr uint32_t kAllOrNothing = wire::CheckRequest::kAllOrNothingFieldNumber;

bool ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Marks field `n` (below 64) seen; false when it was already.
bool first_time(uint64_t& seen, uint32_t n) {
  const uint64_t bit = uint64_t{1} << n;
  if (seen & bit) return false;
  seen |= bit;
  return true;
}

// An enum's value as protobuf keeps it (int32), when the varint holds one without truncation.
bool enum_value(uint64_t v, int32_t& out) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) return false;
  out = static_cast<int32_t>(v);
  return true;
}

bool scan_limit(Reader r, CheckFields& c) {
  uint64_t seen = 0;
  Field f;
  while (!r.done()) {
    if (r.next(f) != nullptr || f.type != protowire::kVarint || f.number > 5 ||
        !first_time(seen, f.number)) {
      return false;
    }
    switch (f.number) {
      case wire::InlineLimit::kAlgorithmFieldNumber:
        if (!enum_value(f.value, c.algorithm)) return false;
        break;
      case wire::InlineLimit::kLimitFieldNumber:
        c.limit = f.value;
        break;
      case wire::InlineLimit::kWindowMsFieldNumber:
        c.window_ms = f.value;
        break;
      case wire::InlineLimit::kBurstFieldNumber:
        c.burst = f.value;
        break;
      case wire::InlineLimit::kCalendarFieldNumber:
        if (!enum_value(f.value, c.calendar)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool scan_check(Reader r, CheckCall& call) {
  CheckFields c;
  uint64_t seen = 0;
  Field f;
  while (!r.done()) {
    if (r.next(f) != nullptr || f.number > 8 || !first_time(seen, f.number)) return false;
    const bool length = f.type == protowire::kLength;
    switch (f.number) {
      case wire::Check::kKeyFieldNumber:  // bytes: any
        if (!length) return false;
        c.key = f.bytes;
        break;
      case wire::Check::kCostFieldNumber:
        if (f.type != protowire::kVarint) return false;
        c.has_cost = true;
        c.cost = f.value;
        break;
      case wire::Check::kPolicyFieldNumber:
        // One of the oneof only: with both, protobuf keeps the last; leave that to it.
        if (!length || c.spec != CheckFields::Spec::kNone || !ascii(f.bytes)) return false;
        c.spec = CheckFields::Spec::kPolicy;
        c.policy = f.bytes;
        break;
      case wire::Check::kLimitFieldNumber:
        if (!length || c.spec != CheckFields::Spec::kNone) return false;
        c.spec = CheckFields::Spec::kLimit;
        if (!scan_limit(Reader(f.bytes), c)) return false;
        break;
      case wire::Check::kResetFieldNumber:
      case wire::Check::kRefundFieldNumber:
      case wire::Check::kDrainOnDenyFieldNumber:
      case wire::Check::kShadowFieldNumber: {
        if (f.type != protowire::kVarint) return false;
        const bool on = f.value != 0;  // a bool: any non-zero varint is true
        if (f.number == wire::Check::kResetFieldNumber) c.reset = on;
        if (f.number == wire::Check::kRefundFieldNumber) c.refund = on;
        if (f.number == wire::Check::kDrainOnDenyFieldNumber) c.drain_on_deny = on;
        if (f.number == wire::Check::kShadowFieldNumber) c.shadow = on;
        break;
      }
      default:
        return false;
    }
  }
  decode_check(c, call);
  return true;
}

bool scan_checks(Reader r, ScannedCheckRequest& out, std::vector<CheckCall>& calls) {
  bool all_or_nothing_seen = false;
  Field f;
  while (!r.done()) {
    if (r.next(f) != nullptr) return false;
    if (f.number == kChecks && f.type == protowire::kLength) {
      // Too many: the generated parser reads them all (and says TOO_MANY_CHECKS or why the
      // frame is malformed).
      if (++out.checks > kMaxChecksPerRequest) return false;
      if (calls.size() < out.checks) calls.resize(out.checks);
      if (!scan_check(Reader(f.bytes), calls[out.checks - 1])) return false;
    } else if (f.number == kAllOrNothing && f.type == protowire::kVarint && !all_or_nothing_seen) {
      all_or_nothing_seen = true;
      out.all_or_nothing = f.value != 0;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool scan_check_request(std::string_view payload, ScannedCheckRequest& out,
                        std::vector<CheckCall>& calls) {
  out = ScannedCheckRequest{};
  calls.clear();
  uint64_t seen = 0;
  Reader r(payload);
  Field f;
  while (!r.done()) {
    if (r.next(f) != nullptr || f.number > 5 || !first_time(seen, f.number)) return false;
    const bool length = f.type == protowire::kLength;
    switch (f.number) {
      case kRequestId:
        if (f.type != protowire::kVarint) return false;
        out.id = f.value;
        break;
      case kRequestCheck:
        if (!length || !scan_checks(Reader(f.bytes), out, calls)) return false;
        break;
      case kRequestTimeout:
        if (f.type != protowire::kVarint || f.value > std::numeric_limits<uint32_t>::max()) {
          return false;
        }
        out.timeout_ms = static_cast<uint32_t>(f.value);
        break;
      case kRequestToken:
        if (!length || !ascii(f.bytes)) return false;
        out.auth_token = f.bytes;
        break;
      default:
        return false;
    }
  }
  // A frame without the check field is another kind of request (or none): not ours.
  return (seen & (uint64_t{1} << kRequestCheck)) != 0;
}

}  // namespace drl::service
