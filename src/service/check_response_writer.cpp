#include "service/check_response_writer.h"

#include <cstring>

#include "common/wire_format.h"
#include "drl/client.pb.h"
#include "service/wire_convert.h"

namespace drl::service {
namespace {

using protowire::kLength;
using protowire::kVarint;
using protowire::one_byte_tag;
using protowire::varint_size;

using R = wire::CheckResult;
static_assert(one_byte_tag(R::kCodeFieldNumber) && one_byte_tag(R::kAllowedFieldNumber) &&
              one_byte_tag(R::kLimitFieldNumber) && one_byte_tag(R::kRemainingFieldNumber) &&
              one_byte_tag(R::kResetAtMsFieldNumber) && one_byte_tag(R::kRetryAfterMsFieldNumber) &&
              one_byte_tag(R::kMessageFieldNumber) && one_byte_tag(R::kDegradedFieldNumber) &&
              one_byte_tag(R::kShadowDeniedFieldNumber) && one_byte_tag(R::kDelayMsFieldNumber) &&
              one_byte_tag(R::kDecidedByFieldNumber) &&
              one_byte_tag(R::kResetByEvictionFieldNumber) &&
              one_byte_tag(wire::CheckResponse::kResultsFieldNumber) &&
              one_byte_tag(wire::CheckResponse::kDecidedByFieldNumber));

// proto3: a field at its default is not written. Signed values are written as their 64-bit
// two's complement (an int32 enum sign-extended), as protobuf does.
size_t varint_field(uint64_t v) { return v == 0 ? 0 : 1 + varint_size(v); }
size_t bytes_field(std::string_view s) {
  return s.empty() ? 0 : 1 + varint_size(s.size()) + s.size();
}
uint64_t wire_int(int64_t v) { return static_cast<uint64_t>(v); }

size_t result_size(const ResultFields& r) {
  return varint_field(wire_int(r.code)) + varint_field(r.allowed) + varint_field(r.limit) +
         varint_field(r.remaining) + varint_field(wire_int(r.reset_at_ms)) +
         varint_field(wire_int(r.retry_after_ms)) + bytes_field(r.message) +
         varint_field(r.degraded) + varint_field(r.shadow_denied) +
         varint_field(wire_int(r.delay_ms)) + bytes_field(r.decided_by) +
         varint_field(r.reset_by_eviction);
}

char* put_varint_field(char* p, uint32_t field, uint64_t v) {
  if (v == 0) return p;
  *p++ = static_cast<char>(protowire::tag_of(field, kVarint));
  return protowire::put_varint(p, v);
}

char* put_bytes_field(char* p, uint32_t field, std::string_view s) {
  if (s.empty()) return p;
  *p++ = static_cast<char>(protowire::tag_of(field, kLength));
  p = protowire::put_varint(p, s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_result(char* p, const ResultFields& r) {
  p = put_varint_field(p, R::kCodeFieldNumber, wire_int(r.code));
  p = put_varint_field(p, R::kAllowedFieldNumber, r.allowed);
  p = put_varint_field(p, R::kLimitFieldNumber, r.limit);
  p = put_varint_field(p, R::kRemainingFieldNumber, r.remaining);
  p = put_varint_field(p, R::kResetAtMsFieldNumber, wire_int(r.reset_at_ms));
  p = put_varint_field(p, R::kRetryAfterMsFieldNumber, wire_int(r.retry_after_ms));
  p = put_bytes_field(p, R::kMessageFieldNumber, r.message);
  p = put_varint_field(p, R::kDegradedFieldNumber, r.degraded);
  p = put_varint_field(p, R::kShadowDeniedFieldNumber, r.shadow_denied);
  p = put_varint_field(p, R::kDelayMsFieldNumber, wire_int(r.delay_ms));
  p = put_bytes_field(p, R::kDecidedByFieldNumber, r.decided_by);
  return put_varint_field(p, R::kResetByEvictionFieldNumber, r.reset_by_eviction);
}

}  // namespace

size_t check_response_size(std::span<const CheckOutcome> outcomes, std::string_view decided_by) {
  size_t n = bytes_field(decided_by);
  for (const CheckOutcome& o : outcomes) {
    const size_t body = result_size(result_fields(o));
    n += 1 + varint_size(body) + body;  // a result is written even when empty
  }
  return n;
}

char* write_check_response(char* p, std::span<const CheckOutcome> outcomes,
                           std::string_view decided_by) {
  for (const CheckOutcome& o : outcomes) {
    const ResultFields r = result_fields(o);
    *p++ = static_cast<char>(protowire::tag_of(wire::CheckResponse::kResultsFieldNumber, kLength));
    p = protowire::put_varint(p, result_size(r));
    p = put_result(p, r);
  }
  return put_bytes_field(p, wire::CheckResponse::kDecidedByFieldNumber, decided_by);
}

}  // namespace drl::service
