#include "service/check_response_writer.h"

#include "common/wire_format.h"
#include "drl/client.pb.h"
#include "service/wire_convert.h"

namespace drl::service {
namespace {

using protowire::one_byte_tag;

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

using protowire::bool_field;
using protowire::bytes_field;
using protowire::varint_field;

// Signed values are written as their 64-bit two's complement (an int32 enum sign-extended),
// as protobuf does.
uint64_t wire_int(int64_t v) { return static_cast<uint64_t>(v); }

size_t result_size(const ResultFields& r) {
  return varint_field(wire_int(r.code)) + bool_field(r.allowed) + varint_field(r.limit) +
         varint_field(r.remaining) + varint_field(wire_int(r.reset_at_ms)) +
         varint_field(wire_int(r.retry_after_ms)) + bytes_field(r.message) +
         bool_field(r.degraded) + bool_field(r.shadow_denied) + varint_field(wire_int(r.delay_ms)) +
         bytes_field(r.decided_by) + bool_field(r.reset_by_eviction);
}

void put_result(protowire::FieldWriter& w, const ResultFields& r) {
  w.varint(R::kCodeFieldNumber, wire_int(r.code));
  w.boolean(R::kAllowedFieldNumber, r.allowed);
  w.varint(R::kLimitFieldNumber, r.limit);
  w.varint(R::kRemainingFieldNumber, r.remaining);
  w.varint(R::kResetAtMsFieldNumber, wire_int(r.reset_at_ms));
  w.varint(R::kRetryAfterMsFieldNumber, wire_int(r.retry_after_ms));
  w.bytes(R::kMessageFieldNumber, r.message);
  w.boolean(R::kDegradedFieldNumber, r.degraded);
  w.boolean(R::kShadowDeniedFieldNumber, r.shadow_denied);
  w.varint(R::kDelayMsFieldNumber, wire_int(r.delay_ms));
  w.bytes(R::kDecidedByFieldNumber, r.decided_by);
  w.boolean(R::kResetByEvictionFieldNumber, r.reset_by_eviction);
}

}  // namespace

size_t check_response_size(std::span<const CheckOutcome> outcomes, std::string_view decided_by) {
  size_t n = bytes_field(decided_by);
  // A result is written even when all its fields are defaults: one per check.
  for (const CheckOutcome& o : outcomes)
    n += protowire::message_field(result_size(result_fields(o)));
  return n;
}

char* write_check_response(char* p, std::span<const CheckOutcome> outcomes,
                           std::string_view decided_by) {
  protowire::FieldWriter w(p);
  for (const CheckOutcome& o : outcomes) {
    const ResultFields r = result_fields(o);
    w.header(wire::CheckResponse::kResultsFieldNumber, result_size(r));
    put_result(w, r);
  }
  w.bytes(wire::CheckResponse::kDecidedByFieldNumber, decided_by);
  return w.end();
}

}  // namespace drl::service
